// The starter repro.yaml offered when a project has nothing to import from.
export function starterManifest(projectName: string): string {
  const name = projectName.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 63) || 'app';
  return `# Repro manifest: what a reproduction of this project runs.
# Reference: https://github.com/reprokit/repro#the-manifest-reproyaml
version: 1
project:
  name: ${name}
  # The git remote of this project: incidents from other repositories are refused.
  # repository: https://github.com/acme/${name}.git

apps:
  web:
    runtime: nodejs:20          # runtime and exact version
    # build: npm ci             # run before "run"
    run: node server.js
    port: 3000
    debug: { port: 9229 }       # the Node inspector, published on 127.0.0.1
    relationships:
      database: db              # DATABASE_URL, DATABASE_HOST, ... in the app's environment

services:
  db:
    type: postgresql:15         # exact type:version, as production runs it

environments:
  production: {}
    # state: { url: "https://example.com/.well-known/repro-state.json" }
`;
}
