// The API key lives only in this tab's session storage (apps/console/README.md): never a URL, cookie or local storage.
const KEY = 'helix-console.api-key';

export const session = {
  load(): string | null {
    try {
      return sessionStorage.getItem(KEY);
    } catch {
      return null;
    }
  },
  save(apiKey: string): void {
    sessionStorage.setItem(KEY, apiKey);
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
  },
};
