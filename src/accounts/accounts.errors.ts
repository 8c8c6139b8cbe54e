/** Every sentence the accounts domain says to a person, keyed. */
export const accountErrors = {
  usernameTaken: 'Username already taken.',
  invalidCredentials: 'Invalid username or password.',
  notAuthenticated: 'Authentication required: log in and send the token as "Authorization: Bearer <token>".',
  notStaff: 'Only staff members may do this.',
  tooManySignIns: 'Too many sign-ins at once; try again in a few seconds.',
  tooManyFailuresForUsername: (wait: string) => `Too many failed logins for this username; try again in ${wait}.`,
  tooManyFailuresFromAddress: (wait: string) => `Too many failed logins from your network address; try again in ${wait}.`,
  crossSite: 'Cross-site request refused: send it from the Boxoffice site itself, or authenticate with a bearer token.',
} as const;
