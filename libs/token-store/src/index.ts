export { TokenStore } from './token-store';
export type { ApplyResult, ResolveContext, ResolvedToken, TokenUpdate } from './token-store';
