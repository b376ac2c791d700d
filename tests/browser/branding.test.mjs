// Branding applied to the console: a reseller's administrator sets its names, colours, support
// contact, login address and logo on the Branding tab, and every page its end-customers' users
// see shows them, from the login page at the reseller's address on; a sibling reseller's users
// see the installation's own look.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ADMIN_EMAIL, ADMIN_PASSWORD, ROOT_NAME, launchBrowser, screenshot, startServer } from './harness.mjs';

const PASSWORD = 'amber falcon meadow';
const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32" viewBox="0 0 120 32">'
  + '<rect width="120" height="32" rx="6" fill="#ffd166"/><circle cx="16" cy="16" r="9" fill="#5c1a1a"/></svg>';

let server;
let browser;
let token;

async function api(method, path, body, contentType = 'application/json') {
  const answer = await fetch(`${server.base}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await answer.text();
  assert.ok(answer.ok, `${method} ${path} answered ${answer.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

async function logIn(group, username, password, at = '/login', onLoginPage = async () => {}) {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(`${server.base}${at}`);
  await onLoginPage(page);
  await page.getByLabel('Group', { exact: true }).fill(group);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/overview');
  return page;
}

/** The top bar's background colour and the product's name it shows. */
async function topBar(page) {
  const bar = page.locator('header.topbar');
  return {
    background: await bar.evaluate((element) => getComputedStyle(element).backgroundColor),
    brand: (await bar.locator('.brand').innerText()).trim(),
  };
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const login = await fetch(`${server.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ group: ROOT_NAME, username: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  });
  token = (await login.json()).token;
  const ruby = await api('POST', '/groups', { name: 'Ruby Reseller', parent_id: 1, level: 'reseller' });
  const emerald = await api('POST', '/groups', { name: 'Emerald Shop', parent_id: ruby.id, level: 'end_customer' });
  const sapphire = await api('POST', '/groups', { name: 'Sapphire Reseller', parent_id: 1, level: 'reseller' });
  for (const [group, user] of [[ruby.id, 'admin@ruby.test'], [emerald.id, 'shop@emerald.test'], [sapphire.id, 'boss@sapphire.test']]) {
    await api('POST', `/groups/${group}/users`, { username: user, role: 'superuser', password: PASSWORD });
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the reseller\'s administrator sets its branding on the Branding tab', async () => {
  const page = await logIn('Ruby Reseller', 'admin@ruby.test', PASSWORD);
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Customers', exact: true }).click();
  await page.getByRole('main').getByRole('link', { name: 'Branding', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /^Branding/ }).waitFor();
  await page.getByLabel('Product name').fill('Ruby Backup');
  await page.getByLabel('Login address').fill('ruby-backup');
  await page.getByLabel('Company name').fill('Ruby Ltd');
  await page.getByLabel('Main colour', { exact: true }).fill('#5c1a1a');
  await page.getByLabel('Accent colour').fill('#b3261e');
  await page.getByLabel('Support email').fill('help@ruby.test');
  await page.getByLabel('Support phone').fill('+31 20 555 0100');
  await page.getByRole('button', { name: 'Save branding' }).click();
  await page.waitForURL((url) => url.searchParams.get('notice') === 'panel-saved');
  // The logo: chosen as a file, read by the page, uploaded.
  await page.getByLabel('Logo', { exact: true }).setInputFiles({
    name: 'ruby.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(LOGO),
  });
  await page.waitForFunction(() => document.getElementById('upload-0-data').value.startsWith('data:image/svg+xml'));
  const uploaded = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/uploads/0'));
  await page.getByRole('button', { name: 'Upload logo' }).click();
  assert.equal((await uploaded).status(), 200);
  await page.waitForURL((url) => url.searchParams.get('notice') === 'panel-saved');
  await page.locator('header.topbar img.logo').waitFor();
  const table = await page.locator('table.list').innerText();
  assert.match(table, /Main colour\s+#5c1a1a\s+This customer/);
  assert.match(table, /Logo\s+SVG, 120 × 32, \d+ bytes\s+This customer/);
  // Its own console shows them at once.
  assert.equal((await topBar(page)).background, 'rgb(92, 26, 26)');
  await screenshot(page, 'branding/branding-tab');
});

test('an end-customer\'s user logs in at its reseller\'s address and sees its colours, name, logo and support contact', async () => {
  const page = await logIn('Emerald Shop', 'shop@emerald.test', PASSWORD, '/login/ruby-backup', async (login) => {
    // The white-label login page: the reseller's look before anyone logs in.
    await login.getByRole('heading', { level: 1, name: 'Log in to Ruby Backup' }).waitFor();
    const background = await login.locator('body').evaluate((body) => getComputedStyle(body).backgroundColor);
    assert.equal(background, 'rgb(92, 26, 26)');
    await screenshot(login, 'branding/white-label-login');
  });
  const bar = await topBar(page);
  assert.equal(bar.background, 'rgb(92, 26, 26)');
  assert.equal(bar.brand, 'Ruby Backup');
  assert.match(await page.title(), /· Ruby Backup$/);
  const logo = page.locator('header.topbar img.logo');
  await logo.waitFor();
  assert.ok(await logo.evaluate((img) => img.complete && img.naturalWidth > 0), 'the logo loaded');
  const footer = (await page.locator('footer.support').innerText()).replace(/\s+/g, ' ');
  assert.match(footer, /Support from Ruby Ltd: help@ruby\.test \+31 20 555 0100/);
  const active = page.getByRole('navigation', { name: 'Main menu' }).locator('a.active');
  assert.equal(await active.evaluate((a) => getComputedStyle(a).color), 'rgb(179, 38, 30)', 'the accent colour');
  await screenshot(page, 'branding/themed-overview');
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Customers', exact: true }).click();
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  assert.equal((await topBar(page)).background, 'rgb(92, 26, 26)', 'every page, not only the first');
  await screenshot(page, 'branding/themed-customers');
  assert.deepEqual(page.context().blockedRequests, [], 'the theme loads nothing from elsewhere');
});

test('a sibling reseller\'s user sees the installation\'s own look', async () => {
  const page = await logIn('Sapphire Reseller', 'boss@sapphire.test', PASSWORD);
  const bar = await topBar(page);
  assert.equal(bar.background, 'rgb(19, 41, 75)', 'console.css\'s own --brand');
  assert.equal(bar.brand, 'Tenantry');
  assert.equal(await page.locator('header.topbar img.logo').count(), 0);
  assert.equal(await page.locator('footer.support').count(), 0);
  assert.doesNotMatch(await page.content(), /Ruby/);
  await screenshot(page, 'branding/sibling-overview');
});
