// The word lists fake.ts draws from. Small and built in on purpose: a faker library
// (@faker-js/faker is several megabytes with its locales) would dwarf the extension bundle for
// what a clone needs, which is plausible-looking values, not realistic demographics.
export const FIRST_NAMES = [
  'Alex', 'Amara', 'Ana', 'Ari', 'Aya', 'Ben', 'Bianca', 'Carlos', 'Chen', 'Clara', 'Dana', 'David',
  'Elena', 'Elif', 'Emil', 'Eva', 'Farah', 'Felix', 'Grace', 'Hana', 'Hugo', 'Ines', 'Ivan', 'Jamal',
  'Jana', 'Jonas', 'Kai', 'Karin', 'Leo', 'Lina', 'Luca', 'Maya', 'Mei', 'Milan', 'Nadia', 'Nia',
  'Noah', 'Nora', 'Omar', 'Oskar', 'Pablo', 'Priya', 'Rafael', 'Rosa', 'Sam', 'Sara', 'Sofia', 'Tariq',
  'Tess', 'Theo', 'Uma', 'Vera', 'Viktor', 'Wen', 'Yara', 'Yusuf', 'Zane', 'Zora',
] as const;

export const LAST_NAMES = [
  'Abbott', 'Adler', 'Baker', 'Bauer', 'Berg', 'Castro', 'Costa', 'Dalton', 'Diaz', 'Ekström', 'Ellis',
  'Fischer', 'Fontaine', 'Garcia', 'Grant', 'Haddad', 'Hale', 'Ito', 'Jensen', 'Kaur', 'Keller', 'Kim',
  'Larsen', 'Lopez', 'Marsh', 'Meyer', 'Morales', 'Nakamura', 'Novak', 'Okafor', 'Olsen', 'Park',
  'Patel', 'Quinn', 'Reyes', 'Rossi', 'Santos', 'Schmidt', 'Silva', 'Stone', 'Tanaka', 'Torres',
  'Vance', 'Varga', 'Walsh', 'Weber', 'Young', 'Zhang',
] as const;

export const STREETS = [
  'Acacia', 'Birch', 'Cedar', 'Chestnut', 'Elm', 'Hawthorn', 'Juniper', 'Laurel', 'Linden', 'Maple',
  'Meadow', 'Mill', 'Orchard', 'Park', 'Pine', 'River', 'Rowan', 'Spruce', 'Station', 'Willow',
] as const;

export const STREET_TYPES = ['Street', 'Road', 'Lane', 'Avenue', 'Way', 'Close', 'Drive', 'Place'] as const;

export const CITIES = [
  'Ashford', 'Bramley', 'Carrow', 'Dunmore', 'Eastwick', 'Fairhaven', 'Glenrock', 'Harlow', 'Ironbridge',
  'Kingsbury', 'Lakeview', 'Millbrook', 'Northfield', 'Oakridge', 'Pinecrest', 'Queensbay', 'Riverton',
  'Stonehill', 'Thornbury', 'Westmere',
] as const;

export const COUNTRIES = ['Exampleland', 'Sampleshire', 'Testonia', 'Demoria'] as const;

export const COMPANY_WORDS = [
  'Acme', 'Apex', 'Beacon', 'Cobalt', 'Delta', 'Evergreen', 'Falcon', 'Granite', 'Harbor', 'Horizon',
  'Juniper', 'Keystone', 'Lumen', 'Meridian', 'Nimbus', 'Orion', 'Pioneer', 'Quartz', 'Summit', 'Vertex',
] as const;

export const COMPANY_SUFFIXES = ['Ltd', 'Inc', 'GmbH', 'LLC', 'Group', 'Labs', 'Partners', 'Co'] as const;

export const LOREM = [
  'lorem', 'ipsum', 'dolor', 'sit', 'amet', 'consectetur', 'adipiscing', 'elit', 'sed', 'do', 'eiusmod',
  'tempor', 'incididunt', 'ut', 'labore', 'et', 'dolore', 'magna', 'aliqua', 'enim', 'ad', 'minim',
  'veniam', 'quis', 'nostrud', 'exercitation', 'ullamco', 'laboris', 'nisi', 'aliquip', 'ex', 'ea',
  'commodo', 'consequat', 'duis', 'aute', 'irure', 'in', 'reprehenderit', 'voluptate', 'velit', 'esse',
] as const;

/** RFC 2606 reserved domains: fake emails can never reach anyone. */
export const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'] as const;
