// Kinds of simulated events; the subject is a host index, a ring index or a pause number.
export const PATCH_DONE = 1;
export const ROLLBACK_DONE = 2;
export const CHECK_REPORTED = 3;
export const CHECK_DEADLINE = 4;
export const SOAK_END = 5;
export const APPROVAL = 6;
export const PAUSE_ANSWER = 7;
