export { accountRoutes } from './accounts.routes.ts';
export { authenticate, requireStaff, requireUser, currentUser } from './auth.ts';
export { ensureStaffUser, registerUser, createSession, logIn, type AuthUser } from './accounts.service.ts';
export { usernamePattern } from './accounts.schemas.ts';
export { createSessionCache, SESSIONS_REVOKED_CHANNEL, type SessionCache } from './session-cache.ts';
