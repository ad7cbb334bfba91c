export type UserPreferences = {
  user_id: string;
  theme: 'light' | 'dark';
  language: 'en' | 'es' | 'fr';
  notifications: { email: boolean; push: boolean };
  updated_at: string;
};
