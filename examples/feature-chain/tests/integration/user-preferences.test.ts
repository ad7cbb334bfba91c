import { handleGet } from '../../src/api/routes/user-preferences';

test('rate limit answers 429 after ten requests', () => {
  for (let i = 0; i < 10; i++) handleGet('user-123', i);
  expect(handleGet('user-123', 11).status).toBe(429);
});
