// The console's front door: the bootstrap SuperUser logs in through the login form and lands on
// a page of the console.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ADMIN_EMAIL, ADMIN_PASSWORD, ROOT_NAME, launchBrowser, screenshot, startServer } from './harness.mjs';

test('the first SuperUser logs in through the login form', async (t) => {
  const server = await startServer({ t });
  const browser = await launchBrowser({ t });
  const page = await browser.newPage();

  const response = await page.goto(`${server.base}/login`);
  assert.equal(response.status(), 200, `GET /login answered ${response.status()}`);
  const group = page.getByLabel('Group', { exact: true });
  const username = page.getByLabel('Username', { exact: true });
  const password = page.getByLabel('Password', { exact: true });
  const logIn = page.getByRole('button', { name: 'Log in', exact: true });
  for (const field of [group, username, password, logIn]) {
    await field.waitFor({ state: 'visible' });
  }
  assert.equal(await password.getAttribute('type'), 'password', 'the password field hides what is typed');

  await group.fill(ROOT_NAME);
  await username.fill(ADMIN_EMAIL);
  await password.fill(ADMIN_PASSWORD);
  await screenshot(page, 'login');
  await logIn.click();

  await page.waitForURL((url) => url.pathname !== '/login').catch(async (error) => {
    await screenshot(page, 'login-refused');
    const text = (await page.locator('body').innerText()).slice(0, 500);
    throw new Error(`still on ${page.url()} after "Log in"; the page says:\n${text}`, { cause: error });
  });
  await page.locator('h1').first().waitFor({ state: 'visible' });
  await screenshot(page, 'after-login');
  assert.deepEqual(page.context().blockedRequests, [], 'the console loads nothing from elsewhere');
});
