export {
  createClient,
  type ClientOptions,
  type LoginInput,
  type LoginResult,
  type Me,
  type RegisterInput,
  type SessionView,
  type TesseraClient,
  type TokenPair,
  type TokensChange,
  type TokensListener,
} from './client.js';
export {
  solveAltcha,
  type CaptchaChallenge,
  type CaptchaPurpose,
  type CaptchaSolver,
} from './captcha.js';
export {
  CLIENT_ERROR_CODES,
  ERROR_CODES,
  isTesseraError,
  TesseraError,
  type ErrorCode,
} from './errors.js';
export type { FetchLike } from './http.js';
export {
  broadcastLock,
  defaultLock,
  localLock,
  webLocks,
  type BroadcastChannelConstructor,
  type LockManagerLike,
  type RefreshLock,
} from './locks.js';
export type {
  PresenceClient,
  PresenceEvent,
  PresenceEvents,
  PresenceOptions,
  PresenceState,
  SessionEndedEvent,
  WebSocketConstructor,
  WebSocketLike,
} from './presence.js';
export { memoryStorage, type StorageLike, type Tokens } from './storage.js';
