// One word for a POSIX shell (sh -c): as it is when it holds nothing the shell reads, else in
// single quotes.

export const shellQuote = (s: string): string => (/^[A-Za-z0-9_=./:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
