import { Type, type Static } from 'typebox';

export const usernamePattern = '^[A-Za-z0-9@.+_-]{3,150}$';

export const Credentials = Type.Object({
  username: Type.String({ pattern: usernamePattern, description: '3–150 letters, digits and @.+-_' }),
  password: Type.String({ minLength: 8, maxLength: 1024 }),
});
export type Credentials = Static<typeof Credentials>;

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 150 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
});
export type LoginBody = Static<typeof LoginBody>;

export const User = Type.Object({ id: Type.Integer(), username: Type.String(), is_staff: Type.Boolean() });

export const RegisterReply = Type.Object({ id: Type.Integer(), username: Type.String() });

export const LoginReply = Type.Object({ token: Type.String(), user: User });
