import type { UserPreferences } from '../../types/user-preferences';

const store = new Map<string, UserPreferences>();

export function getPreferences(userId: string): UserPreferences | undefined {
  return store.get(userId);
}

export function savePreferences(prefs: UserPreferences): void {
  store.set(prefs.user_id, prefs);
}
