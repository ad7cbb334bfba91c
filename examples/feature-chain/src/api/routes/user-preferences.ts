import { allow } from '../middleware/rate-limit';
import { getPreferences } from '../../db/repositories/preferences';

export function handleGet(userId: string, now: number) {
  if (!allow(userId, now)) {
    return { status: 429 };
  }
  const prefs = getPreferences(userId);
  return prefs ? { status: 200, body: prefs } : { status: 404 };
}
