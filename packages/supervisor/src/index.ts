export { Master, type MasterOptions, type MasterPhase, type MasterEvent, type ConfigReader } from './master/master.js';
export { signalPidfile } from './master/pidfile.js';
export { fdLogger, memoryLogger, type Logger } from './log/logger.js';
export { SupervisorError, SUPERVISOR_ERROR_CODES, type SupervisorErrorCode } from './errors.js';
export { VERSION, STATS_VERSION } from './version.js';
export { EXIT } from './protocol.js';
