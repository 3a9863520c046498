// A Java app's debugger, started by Repro: the JDWP agent, listening on the debug port (all
// interfaces in the container: the gateway publishes it on 127.0.0.1), the app not suspended.
// It goes into the one JVM that runs the app, never into the environment: JAVA_TOOL_OPTIONS
// would reach every JVM the app starts (Maven forks the app's own under spring-boot:run), and
// the second agent to bind the port stops its JVM. So `run` gets the agent where it can name
// that JVM:
//   - `java …` (java -jar app.jar, java Main.java): the option right after `java`;
//   - `mvn …spring-boot:run` (or ./mvnw): spring-boot.run.jvmArguments, for the forked app JVM.
// Any other `run` (Gradle, a script) runs as written, and the app's log says what to add. A
// `run` that already loads JDWP is left as it is.

import { shellQuote } from './shellQuote';

/** The JDWP agent option for `port`. */
export const jdwpAgent = (port: number): string => `-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:${port}`;

/** Whether the app's own command starts the JDWP agent (then Repro does not). */
export const startsOwnJdwp = (run: string): boolean => /jdwp|--debug-jvm/.test(run);

/** `java` (any path to it) at the start of run. */
const JAVA = /^((?:\S*\/)?java)(?=\s|$)/;
const SPRING_BOOT_RUN = /^(?:\S*\/)?(?:mvn|mvnw)\b.*\bspring-boot:run\b/s;

/** The shell command that starts a Java app with JDWP on `port`, replacing `exec <run>`. */
export function javaDebugCommand(run: string, port: number): string {
  const trimmed = run.trim();
  const java = JAVA.exec(trimmed);
  if (java) return `exec ${java[1]} ${jdwpAgent(port)}${trimmed.slice(java[0].length)}`;
  if (SPRING_BOOT_RUN.test(trimmed) && !/spring-boot\.run\.jvmArguments/.test(trimmed)) {
    return `exec ${trimmed} ${shellQuote(`-Dspring-boot.run.jvmArguments=${jdwpAgent(port)}`)}`;
  }
  const why = `repro: Repro starts the Java debugger when run starts java (java -jar app.jar) or mvn spring-boot:run; ` +
    `for this run command, add ${jdwpAgent(port)} to the options of the JVM that runs the app`;
  return `{ echo ${shellQuote(why)} >&2; exec ${run}; }`;
}
