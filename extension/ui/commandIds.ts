// Every command Repro contributes. Kept free of `vscode` imports so a unit test can compare
// it with package.json; the registration in commands.ts is typed against it, so a command
// cannot be declared without a handler or handled without being declared.
export const MANIFEST_COMMANDS = {
  refresh: 'repro.refresh',
  openManifest: 'repro.openManifest',
  openManifestAt: 'repro.openManifestAt',
  importManifest: 'repro.importManifest',
  createManifest: 'repro.createManifest',
  showPlan: 'repro.showPlan',
  showOutput: 'repro.showOutput',
} as const;

export const SESSION_COMMANDS = {
  startSession: 'repro.startSession',
  stopSession: 'repro.stopSession',
  collectSessions: 'repro.collectSessions',
  refreshSessions: 'repro.refreshSessions',
  showContainerLogs: 'repro.showContainerLogs',
  openContainerShell: 'repro.openContainerShell',
  restartContainer: 'repro.restartContainer',
  openInBrowser: 'repro.openInBrowser',
} as const;

export const REPRODUCE_COMMANDS = {
  reproduceFromAlert: 'repro.reproduceFromAlert',
  copyLinkTemplates: 'repro.copyLinkTemplates',
  openReceipt: 'repro.openReceipt',
} as const;

export const COVERAGE_COMMANDS = {
  scanCoverage: 'repro.scanCoverage',
  addScrubRule: 'repro.addScrubRule',
  addScrubRuleAs: 'repro.addScrubRuleAs',
  acknowledgeColumn: 'repro.acknowledgeColumn',
  setDataSourceSecret: 'repro.setDataSourceSecret',
  clearDataCache: 'repro.clearDataCache',
} as const;

// The Incidents view (incidentCommands.ts).
export const INCIDENT_COMMANDS = {
  reproduceIncidentAgain: 'repro.reproduceIncidentAgain',
  copyIncidentLink: 'repro.copyIncidentLink',
  openIncidentReceipt: 'repro.openIncidentReceipt',
  removeIncident: 'repro.removeIncident',
  clearIncidents: 'repro.clearIncidents',
  refreshIncidents: 'repro.refreshIncidents',
} as const;

// The session panel under each session and the status bar item (sessionPanelCommands.ts).
export const PANEL_COMMANDS = {
  showSessionActions: 'repro.showSessionActions',
  openWorktree: 'repro.openWorktree',
  openWorktreeInNewWindow: 'repro.openWorktreeInNewWindow',
  addWorktreeToWorkspace: 'repro.addWorktreeToWorkspace',
  openIncidentAlert: 'repro.openIncidentAlert',
} as const;

// The Parity view (drift between an environment, repro.yaml and the local side).
export const PARITY_COMMANDS = {
  refreshParity: 'repro.refreshParity',
  compareEnvironment: 'repro.compareEnvironment',
  useEnvironmentVersion: 'repro.useEnvironmentVersion',
  recreateAtEnvironment: 'repro.recreateAtEnvironment',
  openDriftSource: 'repro.openDriftSource',
} as const;

// ---- debugger (ui/debugCommands.ts) ----
export const DEBUG_COMMANDS = {
  attachDebugger: 'repro.attachDebugger',
  replayRequest: 'repro.replayRequest',
} as const;

// ---- the log viewer ----
export const LOG_COMMANDS = {
  showLogViewer: 'repro.showLogViewer',
} as const;

export const COMMANDS = {
  ...MANIFEST_COMMANDS, ...SESSION_COMMANDS, ...REPRODUCE_COMMANDS, ...COVERAGE_COMMANDS, ...INCIDENT_COMMANDS,
  ...PANEL_COMMANDS, ...PARITY_COMMANDS, ...DEBUG_COMMANDS, ...LOG_COMMANDS,
} as const;

export type CommandKey = keyof typeof COMMANDS;
export type CommandId = (typeof COMMANDS)[CommandKey];
export type ManifestCommandKey = keyof typeof MANIFEST_COMMANDS;
export type SessionCommandKey = keyof typeof SESSION_COMMANDS;
export type ReproduceCommandKey = keyof typeof REPRODUCE_COMMANDS;
export type CoverageCommandKey = keyof typeof COVERAGE_COMMANDS;
export type ParityCommandKey = keyof typeof PARITY_COMMANDS;
export type DebugCommandKey = keyof typeof DEBUG_COMMANDS;
export type LogCommandKey = keyof typeof LOG_COMMANDS;
export type IncidentCommandKey = keyof typeof INCIDENT_COMMANDS;
export type PanelCommandKey = keyof typeof PANEL_COMMANDS;
