/** The second-factor step's name: a resumed login's continuation names it (login-step.ts). */
export const SECOND_FACTOR_STEP = 'totp';
