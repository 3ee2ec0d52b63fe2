/**
 * Cron schedules of workflows: the owner's CRUD (with pause/resume, last/next run and history), the
 * firing every runner's scheduler calls, retries of failed scheduled runs, and history retention.
 * The rules they apply — due occurrences, missed-run and overlap policies, retry backoff — are the
 * engine's (`@swarm/engine`, schedule-policy.ts).
 */
export {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  type NewSchedule,
  pauseSchedule,
  resumeSchedule,
  SCHEDULES_CHANNEL,
  type Schedule,
  type ScheduleFire,
  type ScheduleFireRun,
  type SchedulePatch,
  type ScheduleSettings,
  scheduleHistory,
  updateSchedule,
} from './crud.ts';
export {
  FIRE_CLAIM_LEASE_MS,
  type FireOptions,
  type FireReport,
  fireDueSchedules,
  schedulerClock,
  startQueuedFires,
} from './firing.ts';
export { pruneScheduleFires, SCHEDULE_HISTORY_RETENTION } from './retention.ts';
export {
  type RetryReport,
  retryFailedScheduledRun,
  retryMissedScheduledRuns,
  scheduleOfExecution,
} from './retries.ts';
