// The plugins' screens, declared as data by each plugin and drawn by the console: a customer's
// CRM contacts and activities (a rename recorded by itself), its historical charts and scheduled
// reports (added, run now, its run listed), and the notes of a plugin from outside this
// repository (tests/plugins/notes), added and removed through their tabs.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ADMIN_EMAIL, ADMIN_PASSWORD, ROOT_NAME, launchBrowser, screenshot, startServer, startSmtpSink,
} from './harness.mjs';

let server;
let browser;
let smtp;
let page;
let group;

const shot = (name) => screenshot(page, `panels/${name}`);

before(async () => {
  // Reports are mailed to the SMTP sink the Rust tests use too. The notes plugin is a test
  // plugin: enabled here beside the first-party ones.
  smtp = await startSmtpSink();
  server = await startServer({
    env: {
      TENANTRY__PLUGINS__ENABLED: 'branding,crm,reporting,notes',
      TENANTRY__MAIL__SMTP_URL: smtp.url,
      TENANTRY__MAIL__POLL_SECONDS: '1',
    },
  });
  browser = await launchBrowser();
  const login = await fetch(`${server.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ group: ROOT_NAME, username: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  });
  const token = (await login.json()).token;
  const created = await fetch(`${server.base}/api/v1/groups`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Harbour IT', parent_id: 1, level: 'reseller' }),
  });
  group = (await created.json()).id;
  page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(`${server.base}/login`);
  await page.getByLabel('Group', { exact: true }).fill(ROOT_NAME);
  await page.getByLabel('Username', { exact: true }).fill(ADMIN_EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/overview');
});

after(async () => {
  await browser?.close();
  await server?.stop();
  smtp?.stop();
});

async function openTab(name) {
  await page.goto(`${server.base}/customers?group=${group}`);
  await page.getByRole('main').getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(`^${name}`) }).waitFor();
}

/** A plugin's entry of the left menu, on the customer's pages. */
async function openMenu(name) {
  await page.goto(`${server.base}/customers?group=${group}`);
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(`^${name}`) }).waitFor();
  const current = page.getByRole('navigation', { name: 'Main menu' }).locator('a[aria-current="page"]');
  assert.equal((await current.innerText()).trim(), name, 'the menu marks where the page is');
}

async function saved() {
  await page.waitForURL((url) => url.searchParams.get('notice') === 'panel-saved');
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
}

test('a contact is added on the Contacts tab, and an email the plugin refuses is shown beside its field', async () => {
  await openTab('Contacts');
  await page.getByText('No contacts yet.').waitFor();
  await page.getByLabel('Name (required)').fill('Ada Lovelace');
  await page.getByLabel('Type').selectOption({ label: 'Technical' });
  // The browser takes it for an address; the CRM plugin wants a domain with a dot.
  await page.getByLabel('Email').fill('ada@localhost');
  await page.getByRole('button', { name: 'Add contact' }).click();
  const problem = page.locator('#panel-email-problem');
  await problem.waitFor();
  assert.match(await problem.innerText(), /must be an email address/);
  await shot('contact-refused');
  await page.getByLabel('Email').fill('ada@harbour.test');
  await page.getByRole('button', { name: 'Add contact' }).click();
  await saved();
  const table = page.getByRole('table', { name: 'Contacts' });
  const text = await table.innerText();
  assert.match(text, /Ada Lovelace\s+technical\s+ada@harbour\.test/);
  await shot('contacts');
});

test('an upcoming call is recorded, and a rename shows among the past activities', async () => {
  await openTab('Upcoming activities');
  await page.getByLabel('Kind (required)').selectOption({ label: 'Call' });
  await page.getByLabel('Subject (required)').fill('Renewal of the backup contract');
  await page.getByLabel('When (UTC) (required)').fill('2030-01-02T09:30');
  await page.getByRole('button', { name: 'Record activity' }).click();
  await saved();
  const upcoming = await page.getByRole('table', { name: 'Upcoming activities' }).innerText();
  assert.match(upcoming, /\(2030-01-02 09:30\)\s+call\s+Renewal of the backup contract/);
  await shot('upcoming-activities');

  await page.goto(`${server.base}/customers/${group}/edit`);
  await page.getByLabel('Name', { exact: true }).fill('Harbour IT Services');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForURL((url) => url.searchParams.get('notice') === 'saved');
  await page.goto(`${server.base}/customers/${group}/panels/crm/past_activities`);
  const past = await page.getByRole('table', { name: 'Past activities' }).innerText();
  assert.match(past, /Renamed from Harbour IT to Harbour IT Services\s+\S*\s*Yes/);
  await shot('past-activities');
});

test('the notes plugin\'s tab, from outside the core, adds and removes a note', async () => {
  await openTab('Notes');
  await page.getByText('No notes yet.').waitFor();
  await page.getByLabel('Note (required)').fill('Prefers calls after 14:00');
  await page.getByRole('button', { name: 'Add note' }).click();
  await saved();
  const table = page.getByRole('table', { name: 'Notes' });
  assert.match(await table.innerText(), /Prefers calls after 14:00\s+No/);
  await shot('notes');
  page.once('dialog', (dialog) => dialog.accept());
  await table.getByRole('button', { name: 'Remove' }).click();
  await page.waitForURL((url) => url.searchParams.get('notice') === 'panel-done');
  await page.getByText('No notes yet.').waitFor();
  assert.deepEqual(page.context().blockedRequests, [], 'nothing loaded from elsewhere');
});

test('the historical chart shows the chosen metric and period, with its CSV', async () => {
  await openMenu('Historical charts');
  const chart = page.locator('figure.chart img');
  await chart.waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector('figure.chart img');
    return img.complete && img.naturalWidth > 0;
  });
  await page.getByLabel('Metric').selectOption({ label: 'Used storage' });
  await page.getByLabel('Period').selectOption({ label: 'Last 7 days' });
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL((url) => url.searchParams.get('days') === '7');
  assert.match(await chart.getAttribute('src'), /metric=used_bytes&days=7$/);
  await page.waitForFunction(() => document.querySelector('figure.chart img').naturalWidth > 0);
  const csv = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
  const answer = await page.request.get(`${server.base}${csv}`);
  assert.equal(answer.status(), 200);
  assert.equal((await answer.text()).trim().split('\n').length, 8, 'a heading and seven days');
  await shot('charts');
});

test('a scheduled report is added, run now, mailed to the SMTP server, and its run listed as sent', async () => {
  await openMenu('Scheduled reports');
  await page.getByText('No scheduled reports yet.').waitFor();
  await page.getByLabel('Title (required)').fill('Weekly usage');
  await page.getByLabel('Kind (required)').selectOption({ label: 'Usage' });
  await page.getByLabel('Every (required)').selectOption({ label: 'Week' });
  await page.getByLabel('On (weekly)').selectOption({ label: 'Monday' });
  await page.getByLabel('At (required)').fill('08:00');
  await page.getByLabel('Time zone (required)').fill('Europe/Amsterdam');
  await page.getByLabel('Recipients').fill('ops@harbour.test');
  await page.getByRole('button', { name: 'Add scheduled report' }).click();
  await saved();
  const table = page.getByRole('table', { name: 'Scheduled reports' });
  assert.match(await table.innerText(), /Weekly usage\s+usage\s+every Monday at 08:00 \(Europe\/Amsterdam\)\s+Yes/);
  await shot('scheduled-reports');
  page.once('dialog', (dialog) => dialog.accept());
  await table.getByRole('button', { name: 'Run now' }).click();
  await page.waitForURL((url) => url.searchParams.get('notice') === 'panel-done');
  await page.getByRole('table', { name: 'Scheduled reports' }).getByRole('link', { name: 'Runs' }).click();
  await page.getByRole('heading', { level: 1, name: /^Report runs/ }).waitFor();
  // The mailer sends it at once; the page says so when it is read again.
  let runs = '';
  for (let tries = 0; tries < 50 && !/\bsent\b/.test(runs); tries += 1) {
    if (tries > 0) {
      await page.waitForTimeout(200);
      await page.reload();
    }
    runs = await page.getByRole('table', { name: 'Report runs' }).innerText();
  }
  assert.match(runs, /ops@harbour\.test\s+sent\s+1/);
  const mailed = smtp.messages();
  assert.equal(mailed.length, 1);
  assert.deepEqual(mailed[0].rcpt_tos, ['ops@harbour.test']);
  assert.match(mailed[0].subject, /^Weekly usage: Harbour IT/);
  await shot('report-runs');
});
