export * from './oer-screen-plan.ts';
export * from './with-cleanup.ts';
