// Where Repro puts the JDWP agent in a Java app's run command: in the one JVM that runs the
// app, never in the environment (every JVM the app starts would read it, and the second to
// bind the port stops). The integration test (javaDebug.test.ts there) runs it in a real JVM.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { loadManifestText } from '../../extension/core/manifest/loader';
import { javaDebugCommand, jdwpAgent } from '../../extension/core/stack/javaDebug';
import { planSession } from '../../extension/core/stack/plan';

const AGENT = '-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005';

const planned = (run: string, debug = true): { cmd: string; env: Record<string, string> } => {
  const r = loadManifestText(`version: 1\nproject: { name: one }\napps:\n  api:\n    runtime: java:17\n    run: ${JSON.stringify(run)}\n    port: 8080\n${debug ? '    debug: { port: 5005 }\n' : ''}`, 'repro.yaml');
  assert.ok(r.manifest, JSON.stringify(r.diagnostics));
  const c = planSession(r.manifest, { session: 'one' }).containers.find((x) => x.entry === 'api')!;
  return { cmd: c.cmd![2]!, env: c.env };
};

test('java …: the agent goes right after java, in that JVM only', () => {
  assert.equal(jdwpAgent(5005), AGENT);
  assert.equal(planned('java -jar target/app.jar --server.port=8080').cmd, `exec java ${AGENT} -jar target/app.jar --server.port=8080`);
  assert.equal(planned('/opt/java/openjdk/bin/java Main.java').cmd, `exec /opt/java/openjdk/bin/java ${AGENT} Main.java`);
  assert.equal(planned('java -cp app.jar shop.Main').cmd, `exec java ${AGENT} -cp app.jar shop.Main`);
  assert.equal(planned('exec java -cp app.jar shop.Main').cmd, `exec java ${AGENT} -cp app.jar shop.Main`, 'an exec of the app\'s own is not doubled');
  assert.equal(planned('java -jar app.jar', false).cmd, 'exec java -jar app.jar', 'no debug port: unchanged');
  for (const c of ['java -jar app.jar', './mvnw spring-boot:run']) {
    assert.ok(!Object.values(planned(c).env).some((v) => v.includes('jdwp')), 'never JAVA_TOOL_OPTIONS or another variable');
  }
});

test('mvn spring-boot:run: the agent goes to the app\'s forked JVM, not to Maven\'s', async () => {
  const { cmd } = planned('./mvnw -q spring-boot:run');
  assert.equal(cmd, `exec ./mvnw -q spring-boot:run '-Dspring-boot.run.jvmArguments=${AGENT}'`);
  // The shell passes it to Maven as one argument.
  const args = await new Promise<string>((resolve) => execFile('sh', ['-c', cmd.replace('exec ./mvnw', 'printf "%s\\n"')], (_e, out) => resolve(out)));
  assert.deepEqual(args.trim().split('\n'), ['-q', 'spring-boot:run', `-Dspring-boot.run.jvmArguments=${AGENT}`]);
});

test('a run Repro cannot place the agent in runs as written, and its log says what to add; an agent of the app\'s own is left alone', async () => {
  const gradle = javaDebugCommand('./gradlew bootRun', 5005);
  const r = await new Promise<{ out: string; err: string }>((resolve) => execFile('sh', ['-c', gradle.replace('exec ./gradlew bootRun', 'echo app-ran')], (_e, out, err) => resolve({ out, err })));
  assert.equal(r.out, 'app-ran\n');
  assert.match(r.err, /^repro: Repro starts the Java debugger when run starts java .* add -agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=\*:5005 to the options of the JVM that runs the app\n$/);
  const own = 'java -agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005 -jar app.jar';
  assert.equal(planned(own).cmd, `exec ${own}`);
  assert.equal(planned('./gradlew bootRun --debug-jvm').cmd, 'exec ./gradlew bootRun --debug-jvm');
  // An agent in the app's env: a second one would stop the JVM ("Cannot load this JVM TI agent twice").
  const r2 = loadManifestText(`version: 1\nproject: { name: one }\napps:\n  api:\n    runtime: java:17\n    run: java Main.java\n    env: { JAVA_TOOL_OPTIONS: "${AGENT}" }\n    debug: { port: 5005 }\n`, 'repro.yaml');
  assert.equal(planSession(r2.manifest!, { session: 'one' }).containers.find((x) => x.entry === 'api')!.cmd![2], 'exec java Main.java');
});
