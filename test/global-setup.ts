// One Postgres server and migrated template for the whole test run (see packages/db/src/testing).
export { globalSetup as default } from '@swarm/db/testing/vitest';
