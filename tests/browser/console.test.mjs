// The web console as a provider uses it, clicked through in a real browser against the real
// server: log in, build a five-level customer tree with the Add customer form, meet a name
// already taken and a refused removal, remove, rename, move, search, add a user who then sees
// only their own subtree, names with markup shown as text, the Modules page, the backup
// dashboard, Quick Installation and a device's passphrase; then backup profiles and retention
// policies (added, refused, edited, seen locked below, assigned to a device, a removal refused),
// a customer import checked line by line and the export, a user's account type and password,
// an API user's token and its revocation, a user's removal, and the Overview after a device
// reported a failed session.
//
// One server (a fresh database) and one browser for the whole file; the tests run in order and
// each builds on the state the earlier ones left (the tree, the second user, …). A screenshot
// of every screen visited lands in target/browser-screenshots/console/; a failing step also
// leaves console/failed-<step>.png and puts the page's text in the error.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import { ADMIN_EMAIL, ADMIN_PASSWORD, ROOT_NAME, launchBrowser, screenshot, startServer } from './harness.mjs';

const STEP_TIMEOUT_MS = 10_000;
const TEST_TIMEOUT_MS = 90_000;

const ACME_USER = 'jane@acme.test';
const ACME_PASSWORD = 'violet tiger orchard';
const MARKUP_NAME = '<b>Bold & Co</b>';

let server;
let browser;
/** The SuperUser's page: one context (one session) for the whole file. */
let admin;
/** Group ids by name, as the tests learn them from the console's addresses. */
const ids = {};
/** The Acme Reseller user's page (test 7), in a second context. */
let jane;
/** The device pc-1 as the API answered its creation (test 12): `id`, `credential`, … */
let pc1;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  admin = await browser.newPage();
  admin.setDefaultTimeout(STEP_TIMEOUT_MS);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// ---------------------------------------------------------------------------------------------
// Helpers: what a person does, and, when it goes wrong, what the page said.

/** Screenshots of this file go to target/browser-screenshots/console/. */
const shot = (page, name) => screenshot(page, `console/${name}`);

/** The visible text of the page, squeezed, for assertions and error messages. */
async function textOf(page, locator = page.locator('body')) {
  return (await locator.innerText()).replace(/[ \t]+/g, ' ').replace(/\n\s*\n+/g, '\n').trim();
}

/**
 * Runs `fn`; if it throws, takes a screenshot console/failed-<name> and adds the page's address
 * and text to the error, so that the report says what the user saw.
 */
async function step(page, name, fn) {
  try {
    return await fn();
  } catch (error) {
    let seen = '';
    try {
      await shot(page, `failed-${name}`);
      seen = (await textOf(page)).slice(0, 1500);
    } catch {
      // the page may be gone
    }
    error.message = `${name}: ${error.message}\n--- at ${page.url()} the page says:\n${seen}\n---`;
    throw error;
  }
}

/** Fails the test with a clear word when an earlier test did not leave what this one needs. */
function need(...names) {
  for (const name of names) {
    if (!ids[name]) {
      throw new Error(`needs "${name}", which an earlier test of this file creates (it failed?)`);
    }
  }
}

/** The `group` parameter of the page's address. */
function groupOf(page) {
  return Number(new URL(page.url()).searchParams.get('group'));
}

async function logIn(page, group, username, password) {
  await page.goto(`${server.base}/login`);
  await page.getByLabel('Group', { exact: true }).fill(group);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  return page;
}

async function submitLogin(page) {
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/overview');
}

/** The Customers page's own heading: "<name> <level>". */
function customerHeading(page, name) {
  return page.getByRole('heading', { level: 1, name: new RegExp(`^${escapeRegExp(name)}(?:\\s|$)`) });
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Opens a customer by clicking its name in the Customers table of the page shown. */
async function openFromTable(page, name) {
  await page.getByRole('table', { name: 'Customers' }).getByRole('link', { name, exact: true }).click();
  await customerHeading(page, name).waitFor();
  ids[name] = groupOf(page);
  return ids[name];
}

/** The tree on the left of the Customers page. */
function tree(page) {
  return page.getByRole('complementary', { name: 'Customer tree' });
}

/**
 * Adds a customer under the group shown: "Add customer", Name, Level, Save. The form posts with
 * htmx; the server answers HX-Redirect to the parent's page with `notice=added`.
 */
async function addCustomer(page, name, level, screenshotName) {
  await page.getByRole('link', { name: 'Add customer', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/customers/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Level', { exact: true }).selectOption({ label: level });
  if (screenshotName) {
    await shot(page, screenshotName);
  }
  const posted = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/customers/new',
  );
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const answer = await posted;
  const redirect = answer.headers()['hx-redirect'];
  assert.ok(redirect, `POST /customers/new answered ${answer.status()} without HX-Redirect`);
  assert.match(redirect, /^\/customers\?group=\d+&notice=added$/);
  await page.waitForURL((url) => url.searchParams.get('notice') === 'added');
  await page.getByRole('status').filter({ hasText: 'The customer was added.' }).waitFor();
  await page.getByRole('table', { name: 'Customers' }).getByRole('link', { name, exact: true }).waitFor();
}

/**
 * The error shown for a form field: the element(s) its `aria-describedby` names when the field
 * has one (what a screen reader announces), else the first `.field-error` after the field.
 */
async function fieldError(page, label) {
  const field = page.getByLabel(label, { exact: true });
  const describedBy = await field.getAttribute('aria-describedby');
  if (describedBy) {
    const texts = [];
    for (const id of describedBy.split(/\s+/).filter(Boolean)) {
      const described = page.locator(`[id="${id}"]`);
      if ((await described.count()) > 0) {
        texts.push(await described.innerText());
      }
    }
    return { text: texts.join(' '), announced: true };
  }
  // Not tied to the field for assistive technology (see the report): what a sighted user reads.
  const beside = field.locator('xpath=following-sibling::*[contains(concat(" ", @class, " "), " field-error ")][1]');
  return { text: (await beside.count()) > 0 ? await beside.innerText() : '', announced: false };
}

async function apiLogin(group, username, password) {
  const answer = await fetch(`${server.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ group, username, password }),
  });
  assert.equal(answer.status, 200, `API login answered ${answer.status}: ${await answer.clone().text()}`);
  return (await answer.json()).token;
}

// ---------------------------------------------------------------------------------------------
// 1. Login

test('1. the SuperUser logs in with the login form and sees the Overview', { timeout: TEST_TIMEOUT_MS }, async () => {
  await step(admin, 'login', async () => {
    await logIn(admin, ROOT_NAME, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.equal(await admin.getByLabel('Password', { exact: true }).getAttribute('type'), 'password');
    await shot(admin, 'login');
    await submitLogin(admin);
    await admin.getByRole('heading', { level: 1, name: `Overview of ${ROOT_NAME}` }).waitFor();
    await shot(admin, 'overview');
    // The menu of a Distributor.
    const menu = admin.getByRole('navigation', { name: 'Main menu' });
    for (const entry of ['Overview', 'Customers', 'Backup dashboard', 'Users']) {
      await menu.getByRole('link', { name: entry, exact: true }).waitFor();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 2. A five-level tree

test('2. a five-level customer tree is built with the Add customer form', { timeout: TEST_TIMEOUT_MS }, async () => {
  await step(admin, 'build-tree', async () => {
    await admin.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Customers', exact: true }).click();
    await customerHeading(admin, ROOT_NAME).waitFor();
    ids[ROOT_NAME] = Number(
      new URL(await admin.getByRole('link', { name: 'Add customer' }).getAttribute('href'), server.base).searchParams.get('parent'),
    );
    await admin.getByText(`${ROOT_NAME} has no customers yet.`).waitFor();
    await shot(admin, 'customers-empty');

    // A Distributor offers the levels below it only.
    await admin.getByRole('link', { name: 'Add customer', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: `Add a customer to ${ROOT_NAME}` }).waitFor();
    const offered = await admin.getByLabel('Level', { exact: true }).locator('option').allInnerTexts();
    assert.deepEqual(offered, ['Sub-distributor', 'Reseller', 'End-customer', 'Site']);
    await admin.goBack();

    await addCustomer(admin, 'North Sub', 'Sub-distributor', 'customer-add');
    await shot(admin, 'customers-added');
    await openFromTable(admin, 'North Sub');
    await addCustomer(admin, 'Acme Reseller', 'Reseller');
    await openFromTable(admin, 'Acme Reseller');
    await addCustomer(admin, 'Bolt Ltd', 'End-customer');
    await openFromTable(admin, 'Bolt Ltd');
    await addCustomer(admin, 'Bolt HQ', 'Site');
    await openFromTable(admin, 'Bolt HQ');

    // Five levels: the crumbs say so, and a Site has no customers of its own.
    const crumbs = await textOf(admin, admin.getByRole('navigation', { name: 'Where' }));
    assert.equal(crumbs, `${ROOT_NAME} › North Sub › Acme Reseller › Bolt Ltd › Bolt HQ`);
    await admin.getByText('has no customers of its own').waitFor();
    assert.equal(await admin.getByRole('link', { name: 'Add customer' }).count(), 0, 'no Add customer at a Site');
    await shot(admin, 'customers-site');

    // Back up through the crumbs, then down through the tree, unfolding it.
    await admin.getByRole('navigation', { name: 'Where' }).getByRole('link', { name: ROOT_NAME, exact: true }).click();
    await customerHeading(admin, ROOT_NAME).waitFor();
    await tree(admin).getByRole('button', { name: 'Show the customers of North Sub' }).click();
    await tree(admin).getByRole('button', { name: 'Show the customers of Acme Reseller' }).click();
    await tree(admin).getByRole('link', { name: 'Acme Reseller', exact: true }).click();
    await customerHeading(admin, 'Acme Reseller').waitFor();
    assert.equal(groupOf(admin), ids['Acme Reseller']);
    await shot(admin, 'customers');
  });
});

// ---------------------------------------------------------------------------------------------
// 3. A validation error beside its field

test('3. a name already taken (in another case) is refused beside the Name field, and nothing is added', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  need('North Sub', 'Acme Reseller');
  await step(admin, 'name-taken', async () => {
    await admin.goto(`${server.base}/customers?group=${ids['North Sub']}`);
    await admin.getByRole('link', { name: 'Add customer', exact: true }).click();
    await admin.getByLabel('Name', { exact: true }).fill('ACME reseller');
    await admin.getByLabel('Level', { exact: true }).selectOption({ label: 'Reseller' });
    await admin.getByRole('button', { name: 'Save', exact: true }).click();

    await admin.getByRole('alert').waitFor();
    const error = await fieldError(admin, 'Name');
    assert.match(error.text, /name/i, `the error beside Name says: "${error.text}"`);
    assert.match(error.text, /ACME reseller|already|taken|in use|exists/i, `the error beside Name says: "${error.text}"`);
    if (!error.announced) {
      t.diagnostic('the error beside Name is not tied to the field (no aria-describedby/aria-invalid): a screen reader does not announce it');
    }
    // The form keeps what was typed, and the page did not move.
    assert.equal(await admin.getByLabel('Name', { exact: true }).inputValue(), 'ACME reseller');
    assert.equal(new URL(admin.url()).pathname, '/customers/new');
    await shot(admin, 'customer-add-refused');

    await admin.goto(`${server.base}/customers?group=${ids['North Sub']}`);
    const customers = admin.getByRole('table', { name: 'Customers' });
    assert.equal(await customers.getByRole('link', { name: /^acme reseller$/i }).count(), 1, 'nothing was added');
    assert.equal(await customers.getByRole('row').count(), 2, 'a header and Acme Reseller only');
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Removal: refused with the counts, then done after a confirmation

test('4. a customer with customers cannot be removed; an empty one is, after a confirmation', { timeout: TEST_TIMEOUT_MS }, async () => {
  need(ROOT_NAME, 'North Sub', 'Bolt Ltd', 'Bolt HQ');
  await step(admin, 'remove', async () => {
    await admin.goto(`${server.base}/customers?group=${ids[ROOT_NAME]}`);
    await admin.getByRole('table', { name: 'Customers' }).getByRole('link', { name: 'Remove North Sub' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Remove North Sub' }).waitFor();
    await admin.getByText('North Sub cannot be removed: it has 1 customer and 0 devices of its own').waitFor();
    assert.equal(await admin.getByRole('button', { name: /^Remove/ }).count(), 0, 'no Remove button for a customer that is not empty');
    await shot(admin, 'customer-remove-refused');

    await admin.goto(`${server.base}/customers?group=${ids['Bolt Ltd']}`);
    await admin.getByRole('table', { name: 'Customers' }).getByRole('link', { name: 'Remove Bolt HQ' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Remove Bolt HQ' }).waitFor();
    await admin.getByText('This cannot be undone').waitFor();
    await shot(admin, 'customer-remove-confirm');
    await admin.getByRole('button', { name: 'Remove Bolt HQ', exact: true }).click();
    await admin.waitForURL((url) => url.searchParams.get('notice') === 'removed');
    assert.equal(groupOf(admin), ids['Bolt Ltd'], 'back on the parent');
    await admin.getByRole('status').filter({ hasText: 'The customer was removed.' }).waitFor();
    await admin.getByText('Bolt Ltd has no customers yet.').waitFor();
    assert.equal(await admin.getByRole('link', { name: 'Bolt HQ', exact: true }).count(), 0, 'Bolt HQ is gone from the page');
    await shot(admin, 'customer-removed');

    const gone = await admin.goto(`${server.base}/customers?group=${ids['Bolt HQ']}`);
    assert.equal(gone.status(), 404, 'Bolt HQ\'s page is gone');
    delete ids['Bolt HQ'];
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Rename and move

test('5a. a customer is renamed on its edit form, which warns about logins', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Bolt Ltd', 'Acme Reseller');
  await step(admin, 'rename', async () => {
    await admin.goto(`${server.base}/customers?group=${ids['Acme Reseller']}`);
    await admin.getByRole('table', { name: 'Customers' }).getByRole('link', { name: 'Edit Bolt Ltd' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Edit Bolt Ltd' }).waitFor();
    await admin.getByText('Users of this customer log in with its name').waitFor();
    assert.equal(await admin.getByLabel('Name', { exact: true }).inputValue(), 'Bolt Ltd');
    assert.equal(await admin.getByLabel('Level', { exact: true }).inputValue(), 'end_customer', 'the level is kept');
    await admin.getByLabel('Name', { exact: true }).fill('Bolt Limited');
    await shot(admin, 'customer-edit');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.waitForURL((url) => url.searchParams.get('notice') === 'saved');
    await admin.getByRole('status').filter({ hasText: 'Your changes were saved.' }).waitFor();
    await customerHeading(admin, 'Bolt Limited').waitFor();
    assert.equal(groupOf(admin), ids['Bolt Ltd']);
    ids['Bolt Limited'] = ids['Bolt Ltd'];
    delete ids['Bolt Ltd'];
    await shot(admin, 'customer-renamed');
  });
});

test('5b. a customer is moved by typing its new parent\'s exact name', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Bolt Limited', 'North Sub');
  await step(admin, 'move', async () => {
    await admin.goto(`${server.base}/customers?group=${ids['Bolt Limited']}`);
    await admin.getByRole('main').getByRole('link', { name: 'Move', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'Move Bolt Limited' }).waitFor();
    await admin.getByLabel('New parent (its exact name)').fill('North Sub');
    const level = admin.getByLabel('Level of Bolt Limited after the move');
    assert.equal(await level.inputValue(), 'end_customer', 'the current level is chosen');
    await level.selectOption({ label: 'End-customer' });
    await shot(admin, 'customer-move');
    await admin.getByRole('button', { name: 'Move', exact: true }).click();
    await admin.waitForURL((url) => url.searchParams.get('notice') === 'moved');
    await admin.getByRole('status').filter({ hasText: 'The customer was moved' }).waitFor();
    await customerHeading(admin, 'Bolt Limited').waitFor();
    const crumbs = await textOf(admin, admin.getByRole('navigation', { name: 'Where' }));
    assert.equal(crumbs, `${ROOT_NAME} › North Sub › Bolt Limited`);
    await shot(admin, 'customer-moved');

    // North Sub now has two customers, Acme Reseller none.
    await admin.getByRole('navigation', { name: 'Where' }).getByRole('link', { name: 'North Sub', exact: true }).click();
    await customerHeading(admin, 'North Sub').waitFor();
    const customers = admin.getByRole('table', { name: 'Customers' });
    for (const name of ['Acme Reseller', 'Bolt Limited']) {
      await customers.getByRole('link', { name, exact: true }).waitFor();
    }
    assert.equal(await customers.getByRole('row').count(), 3, 'a header and two customers');
  });
});

test('5c. a move that breaks a level rule is refused and says why', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  await step(admin, 'move-refused', async () => {
    await admin.goto(`${server.base}/customers/${ids['Acme Reseller']}/move`);
    await admin.getByLabel('New parent (its exact name)').fill('No Such Customer');
    await admin.getByRole('button', { name: 'Move', exact: true }).click();
    await admin.getByRole('alert').waitFor();
    const unknown = await fieldError(admin, 'New parent (its exact name)');
    assert.match(unknown.text, /no customer of that name/i, `beside the new parent: "${unknown.text}"`);

    // A Reseller cannot hold a Reseller.
    await admin.getByLabel('New parent (its exact name)').fill('Bolt Limited');
    await admin.getByRole('button', { name: 'Move', exact: true }).click();
    await admin.getByRole('alert').filter({ hasText: /level|below|lower|above/i }).waitFor();
    await shot(admin, 'customer-move-refused');
    await admin.goto(`${server.base}/customers?group=${ids['Acme Reseller']}`);
    const crumbs = await textOf(admin, admin.getByRole('navigation', { name: 'Where' }));
    assert.equal(crumbs, `${ROOT_NAME} › North Sub › Acme Reseller`, 'nothing moved');
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Search

test('6. "Find a customer" lists the customers whose name holds what is typed, with their path', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Bolt Limited');
  await step(admin, 'search', async () => {
    await admin.goto(`${server.base}/customers`);
    await admin.getByLabel('Find a customer').pressSequentially('olt', { delay: 50 });
    const results = admin.getByRole('table', { name: 'Search results' });
    await results.getByRole('link', { name: 'Bolt Limited', exact: true }).waitFor();
    const rows = await results.getByRole('row').allInnerTexts();
    assert.equal(rows.length, 2, `a header and one match: ${JSON.stringify(rows)}`);
    assert.match(rows[1], new RegExp(`Bolt Limited\\s+${ROOT_NAME} › North Sub\\s+End-customer`));
    await shot(admin, 'customer-search');

    await admin.getByLabel('Find a customer').fill('nothing like this');
    await admin.getByText('No customer\'s name contains “nothing like this”.').waitFor();

    await admin.getByLabel('Find a customer').fill('Bolt');
    await results.getByRole('link', { name: 'Bolt Limited', exact: true }).click();
    await customerHeading(admin, 'Bolt Limited').waitFor();
    assert.equal(groupOf(admin), ids['Bolt Limited']);
    // The tree opens along the way down: Bolt Limited shows, selected, under North Sub.
    const tree = admin.getByRole('complementary', { name: 'Customer tree' });
    const selected = tree.locator('li.node.selected > a');
    await selected.waitFor();
    assert.equal(await selected.innerText(), 'Bolt Limited');
    assert.equal(await tree.locator('li.node:has(> ul li.node.selected) > a').allInnerTexts().then((a) => a.join(' › ')), `${ROOT_NAME} › North Sub`);
    // Folding an opened node needs no request and hides its customers.
    const northToggle = tree.locator('li.node:has(> a:text-is("North Sub")) > button.toggle');
    assert.equal(await northToggle.getAttribute('aria-expanded'), 'true');
    await northToggle.click();
    assert.equal(await selected.isVisible(), false);
    await northToggle.click();
    await selected.waitFor();
  });
});

// ---------------------------------------------------------------------------------------------
// 7. A user of Acme Reseller, in a second browser context

test('7. a user added to Acme Reseller logs in with its name and sees only its subtree', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  await step(admin, 'add-user', async () => {
    await admin.goto(`${server.base}/customers?group=${ids['Acme Reseller']}`);
    await admin.getByRole('main').getByRole('link', { name: 'Users', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'Users of Acme Reseller' }).waitFor();
    await admin.getByText('Acme Reseller has no users yet.').waitFor();
    await shot(admin, 'users-empty');
    await admin.getByRole('link', { name: 'Add user', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'Add a user to Acme Reseller' }).waitFor();
    await admin.getByLabel('Username', { exact: false }).fill(ACME_USER);
    await admin.getByLabel('Account type').selectOption({ label: 'Administrator' });
    await admin.getByLabel('Password', { exact: false }).fill(ACME_PASSWORD);
    await shot(admin, 'user-add');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.waitForURL((url) => url.searchParams.get('notice') === 'user-added');
    await admin.getByRole('status').filter({ hasText: 'The user was added.' }).waitFor();
    const users = admin.getByRole('table', { name: 'Users' });
    await users.getByRole('link', { name: ACME_USER, exact: true }).waitFor();
    assert.match(await textOf(admin, users), /Administrator/);
    await shot(admin, 'users');
  });

  const context = await browser.newContext();
  jane = await context.newPage();
  jane.setDefaultTimeout(STEP_TIMEOUT_MS);
  await step(jane, 'second-user', async () => {
    await logIn(jane, 'Acme Reseller', ACME_USER, ACME_PASSWORD);
    await submitLogin(jane);
    await jane.getByRole('heading', { level: 1, name: 'Overview of Acme Reseller' }).waitFor();
    await jane.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Customers', exact: true }).click();
    await customerHeading(jane, 'Acme Reseller').waitFor();
    const root = tree(jane).getByRole('listitem').first();
    assert.match(await textOf(jane, root), /^Acme Reseller\s+Reseller/, 'Acme Reseller at the root of the tree');
    const seen = await textOf(jane);
    assert.doesNotMatch(seen, /My Company|North Sub/, 'nothing above Acme Reseller shows');
    await shot(jane, 'customers-as-reseller');

    // Search stays in the subtree too.
    await jane.getByLabel('Find a customer').fill('Sub');
    await jane.getByText('No customer\'s name contains “Sub”.').waitFor();

    const outside = await jane.goto(`${server.base}/customers?group=1`);
    assert.equal(outside.status(), 404);
    await jane.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
    assert.doesNotMatch(await textOf(jane), /My Company/);
    await shot(jane, 'not-found');
  });
});

// ---------------------------------------------------------------------------------------------
// 8. Markup in names

test('8. markup in a customer\'s name is shown as text, never as markup', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  await step(admin, 'markup', async () => {
    await admin.goto(`${server.base}/customers?group=${ids['Acme Reseller']}`);
    await addCustomer(admin, MARKUP_NAME, 'End-customer');
    const table = admin.getByRole('table', { name: 'Customers' });
    assert.match(await table.innerText(), /<b>Bold & Co<\/b>/);
    assert.equal(await admin.locator('b').count(), 0, 'no <b> element on the Customers page');
    await openFromTable(admin, MARKUP_NAME);
    assert.equal(await admin.locator('b').count(), 0, 'no <b> element on its own page');
    await shot(admin, 'customer-markup');

    await admin.goto(`${server.base}/customers`);
    await admin.getByLabel('Find a customer').fill('Bold');
    await admin.getByRole('table', { name: 'Search results' }).getByRole('link', { name: MARKUP_NAME, exact: true }).waitFor();
    assert.equal(await admin.locator('b').count(), 0, 'no <b> element in the search results');

    await admin.goto(`${server.base}/customers/${ids[MARKUP_NAME]}/edit`);
    assert.equal(await admin.getByLabel('Name', { exact: true }).inputValue(), MARKUP_NAME);
    await admin.goto(`${server.base}/customers/${ids[MARKUP_NAME]}/remove`);
    await admin.getByRole('heading', { level: 1, name: `Remove ${MARKUP_NAME}` }).waitFor();
    assert.equal(await admin.locator('main b').count(), 0, 'no <b> element on the remove page');
  });
});

// ---------------------------------------------------------------------------------------------
// 9. The Modules page (the other screenshots are taken along the way)

test('9. the Modules page of a customer lists what its level may use', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('North Sub', 'Acme Reseller');
  await step(admin, 'modules', async () => {
    await admin.goto(`${server.base}/customers?group=${ids['North Sub']}`);
    await admin.getByRole('main').getByRole('link', { name: 'Modules', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: /^Modules of North Sub/ }).waitFor();
    assert.equal(new URL(admin.url()).pathname, `/customers/${ids['North Sub']}/modules`);
    const modules = admin.getByRole('table', { name: 'Modules' });
    const quick = modules.getByRole('row').filter({ hasText: 'Quick Installation' });
    assert.match(await quick.innerText(), /Not available/);
    await shot(admin, 'modules-sub-distributor');

    await admin.goto(`${server.base}/customers/${ids['Acme Reseller']}/modules`);
    const acmeQuick = admin.getByRole('table', { name: 'Modules' }).getByRole('row').filter({ hasText: 'Quick Installation' });
    assert.match(await acmeQuick.innerText(), /✔ Available/);
    await shot(admin, 'modules');
  });
});

// ---------------------------------------------------------------------------------------------
// Later parts of the console.

test('10. the backup dashboard of a customer shows its devices', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  await step(admin, 'devices', async () => {
    await admin.goto(`${server.base}/customers?group=${ids['Acme Reseller']}`);
    await admin.getByRole('main').getByRole('link', { name: 'Devices', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === '/devices');
    assert.equal(groupOf(admin), ids['Acme Reseller']);
    await admin.getByRole('heading', { level: 1, name: 'Devices of Acme Reseller' }).waitFor();
    await admin.getByText('No device of Acme Reseller or below matches.').waitFor();
    const crumbs = await textOf(admin, admin.getByRole('navigation', { name: 'Where' }));
    assert.equal(crumbs, `${ROOT_NAME} › North Sub › Acme Reseller`);
    await shot(admin, 'devices-empty');
  });
});

test('11. Quick Installation: a token once enabled at an End-customer; not available at a Sub-distributor', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Bolt Limited', 'North Sub');
  await step(admin, 'quick-installation', async () => {
    // Off until switched on in the customer's settings.
    await admin.goto(`${server.base}/quick-installation?group=${ids['Bolt Limited']}`);
    await admin.getByRole('heading', { level: 1, name: 'Quick Installation for Bolt Limited' }).waitFor();
    await admin.getByText('Automatic deployment is off for Bolt Limited.').waitFor();
    await shot(admin, 'quick-installation-off');
    await admin.getByRole('link', { name: 'its settings' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Edit Bolt Limited' }).waitFor();
    await admin.getByLabel('Quick Installation (automatic deployment)').check();
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.waitForURL((url) => url.searchParams.get('notice') === 'saved');

    await admin.goto(`${server.base}/quick-installation?group=${ids['Bolt Limited']}`);
    await admin.getByText('No tokens yet.').waitFor();
    await admin.getByRole('button', { name: 'Create token', exact: true }).click();
    const token = admin.getByLabel('New deployment token');
    await token.waitFor();
    assert.match(await token.inputValue(), /^tdp_/);
    assert.match(await admin.getByLabel('Enrolment command').inputValue(), /--token tdp_/);
    await admin.getByRole('table', { name: 'Deployment tokens' }).waitFor();
    await shot(admin, 'quick-installation');

    // Shown once: not there after a reload.
    await admin.reload();
    await admin.getByRole('table', { name: 'Deployment tokens' }).waitFor();
    assert.equal(await admin.getByLabel('New deployment token').count(), 0, 'the token is shown once');

    // A Sub-distributor has no Quick Installation.
    const refused = await admin.goto(`${server.base}/quick-installation?group=${ids['North Sub']}`);
    assert.equal(refused.status(), 403);
    await admin.getByRole('alert').filter({ hasText: /not available/i }).waitFor();
    assert.equal(await admin.getByRole('button', { name: 'Create token' }).count(), 0);
    await shot(admin, 'quick-installation-refused');
  });
});

test('12. a Security Officer generates a device\'s passphrase, shown once', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  let device;
  await step(admin, 'passphrase', async () => {
    // A device, added through the API as an agent or RMM would.
    const token = await apiLogin(ROOT_NAME, ADMIN_EMAIL, ADMIN_PASSWORD);
    const made = await fetch(`${server.base}/api/v1/groups/${ids['Acme Reseller']}/devices`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'pc-1', os: 'windows' }),
    });
    assert.equal(made.status, 201, `POST devices answered ${made.status}: ${await made.clone().text()}`);
    device = await made.json();
    pc1 = device;

    await admin.goto(`${server.base}/devices?group=${ids['Acme Reseller']}`);
    const devices = admin.getByRole('table', { name: 'Devices' });
    await devices.getByRole('link', { name: 'pc-1', exact: true }).waitFor();
    await shot(admin, 'devices');
    await devices.getByRole('link', { name: 'pc-1', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === `/devices/${device.id}`);
    await admin.getByRole('heading', { level: 1, name: 'pc-1' }).waitFor();
    await admin.getByText('No passphrase yet.').waitFor();
    await shot(admin, 'device');

    let question = '';
    admin.once('dialog', (dialog) => {
      question = dialog.message();
      return dialog.accept();
    });
    await admin.getByRole('button', { name: 'Generate passphrase', exact: true }).click();
    const passphrase = admin.getByLabel('New passphrase');
    await passphrase.waitFor();
    assert.match(question, /pc-1/, 'asked first');
    assert.ok((await passphrase.inputValue()).length >= 12, 'a long passphrase');
    await shot(admin, 'device-passphrase');

    await admin.reload();
    await admin.getByRole('heading', { level: 1, name: 'pc-1' }).waitFor();
    assert.equal(await admin.getByLabel('New passphrase').count(), 0, 'the passphrase is shown once');
    await admin.getByText('The current passphrase was generated').waitFor();
  });

  // And the Acme user sees the device, without the SuperUser's passphrase button if not a
  // Security Officer.
  if (jane) {
    await step(jane, 'passphrase-as-reseller', async () => {
      await jane.goto(`${server.base}/devices/${device.id}`);
      await jane.getByRole('heading', { level: 1, name: 'pc-1' }).waitFor();
      assert.equal(await jane.getByRole('button', { name: 'Generate passphrase' }).count(), 0, 'not a Security Officer');
      await shot(jane, 'device-as-reseller');
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 13. Profiles & policies

const PROFILE = 'Nightly files';
const PROFILE_RENAMED = 'Nightly files and SQL';
const POLICY = 'Two weeks';

/** The row of a list table that holds `name` in its first cell. */
function rowOf(table, name) {
  return table.getByRole('row').filter({ has: table.page().getByRole('cell', { name, exact: true }) });
}

/** Opens a customer's Profiles & policies with the menu of its backup dashboard. */
async function openSettings(page, name) {
  await page.goto(`${server.base}/customers?group=${ids[name]}`);
  await page.getByRole('main').getByRole('link', { name: 'Devices', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: `Devices of ${name}` }).waitFor();
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Profiles & policies', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/settings');
  assert.equal(groupOf(page), ids[name], `the menu led to /settings?group=${groupOf(page)}`);
}

test('13. on a customer\'s own page, the menu\'s "Profiles & policies" leads to that customer\'s', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  await step(admin, 'settings-menu', async () => {
    await admin.goto(`${server.base}/customers?group=${ids['Acme Reseller']}`);
    await customerHeading(admin, 'Acme Reseller').waitFor();
    const entry = admin.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Profiles & policies', exact: true });
    const href = await entry.getAttribute('href');
    await shot(admin, 'settings-menu');
    assert.equal(
      href,
      `/settings?group=${ids['Acme Reseller']}`,
      `on Acme Reseller's customer page the menu's "Profiles & policies" points to ${href}, which opens ${ROOT_NAME}'s`,
    );
  });
});

test('13a. a backup profile is added to Acme Reseller with a weekly schedule, and listed with a summary', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  await step(admin, 'profile-add', async () => {
    // (Through the backup dashboard, whose menu is Acme Reseller's: see test 13.)
    await openSettings(admin, 'Acme Reseller');
    await admin.waitForURL((url) => url.pathname === '/settings');
    assert.equal(groupOf(admin), ids['Acme Reseller']);
    await admin.getByRole('heading', { level: 1, name: 'Profiles and retention policies of Acme Reseller' }).waitFor();
    await shot(admin, 'settings-empty');

    await admin.getByRole('link', { name: 'Add backup profile', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === '/profiles/new');
    await admin.getByRole('heading', { level: 1, name: 'Add a backup profile to Acme Reseller' }).waitFor();
    await admin.getByLabel('Name', { exact: true }).fill(PROFILE);
    // Files and folders is ticked on a new profile; two more.
    assert.equal(await admin.getByLabel('Files and folders', { exact: true }).isChecked(), true);
    await admin.getByLabel('System state', { exact: true }).check();
    await admin.getByLabel('MS SQL', { exact: true }).check();
    await admin.getByLabel('Schedule', { exact: true }).selectOption({ label: 'Weekly' });
    await admin.getByLabel(/^At \(HH:MM/).fill('23:00');
    await admin.getByLabel('Mon', { exact: true }).check();
    await admin.getByLabel('Thu', { exact: true }).check();
    await shot(admin, 'profile-add');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === '/settings' && url.searchParams.get('notice') === 'setting-added');
    assert.equal(groupOf(admin), ids['Acme Reseller'], 'back on Acme Reseller\'s settings');
    await admin.getByRole('status').waitFor();
    const notice = await textOf(admin, admin.getByRole('status'));
    assert.match(notice, /added/i, `the notice says "${notice}"`);

    const profiles = admin.getByRole('table', { name: 'Backup profiles' });
    const row = rowOf(profiles, PROFILE);
    await row.waitFor();
    const summary = await textOf(admin, row);
    assert.match(summary, /Files and folders, System state, MS SQL/, `the summary: "${summary}"`);
    assert.match(summary, /mon, thu at 23:00/i, `the summary: "${summary}"`);
    assert.match(summary, /Acme Reseller/, 'owned by Acme Reseller');
    await profiles.getByRole('link', { name: PROFILE, exact: true }).waitFor();
    await shot(admin, 'settings-profile-added');
  });
});

test('13b. a retention policy that keeps nothing is refused beside Daily versions, then saved with 14', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  need('Acme Reseller');
  await step(admin, 'policy-add', async () => {
    await admin.goto(`${server.base}/settings?group=${ids['Acme Reseller']}`);
    await admin.getByRole('link', { name: 'Add retention policy', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === '/retention-policies/new');
    await admin.getByRole('heading', { level: 1, name: 'Add a retention policy to Acme Reseller' }).waitFor();
    await admin.getByLabel('Name', { exact: true }).fill(POLICY);
    const periods = ['Intra-daily versions', 'Daily versions', 'Weekly versions', 'Monthly versions', 'Yearly versions'];
    for (const period of periods) {
      await admin.getByLabel(period, { exact: true }).fill('0');
    }
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.getByRole('alert').waitFor();
    const error = await fieldError(admin, 'Daily versions');
    assert.match(error.text, /a policy keeps at least one version/, `beside Daily versions: "${error.text}"`);
    if (!error.announced) {
      t.diagnostic('the error beside Daily versions is not tied to the field (no aria-describedby): a screen reader does not announce it');
    }
    assert.equal(new URL(admin.url()).pathname, '/retention-policies/new', 'the page did not move');
    assert.equal(await admin.getByLabel('Name', { exact: true }).inputValue(), POLICY, 'the name is kept');
    await shot(admin, 'policy-add-refused');

    await admin.getByLabel('Daily versions', { exact: true }).fill('14');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === '/settings' && url.searchParams.get('notice') === 'setting-added');
    const policies = admin.getByRole('table', { name: 'Retention policies' });
    const row = rowOf(policies, POLICY);
    await row.waitFor();
    const summary = await textOf(admin, row);
    assert.match(summary, /0 intra-daily · 14 daily · 0 weekly · 0 monthly · 0 yearly/, `the summary: "${summary}"`);
    await shot(admin, 'settings-policy-added');
  });
});

test('13c. the profile is renamed on its edit page, which shows what was saved', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  await step(admin, 'profile-edit', async () => {
    await admin.goto(`${server.base}/settings?group=${ids['Acme Reseller']}`);
    await admin.getByRole('table', { name: 'Backup profiles' }).getByRole('link', { name: PROFILE, exact: true }).click();
    await admin.waitForURL((url) => /^\/profiles\/\d+\/edit$/.test(url.pathname));
    ids.profile = Number(new URL(admin.url()).pathname.split('/')[2]);
    await admin.getByRole('heading', { level: 1, name: `Edit ${PROFILE}` }).waitFor();
    // What was saved comes back.
    assert.equal(await admin.getByLabel('Name', { exact: true }).inputValue(), PROFILE);
    for (const source of ['Files and folders', 'System state', 'MS SQL']) {
      assert.equal(await admin.getByLabel(source, { exact: true }).isChecked(), true, `${source} ticked`);
    }
    assert.equal(await admin.getByLabel('Exchange', { exact: true }).isChecked(), false);
    assert.equal(await admin.getByLabel('Schedule', { exact: true }).inputValue(), 'weekly');
    assert.equal(await admin.getByLabel(/^At \(HH:MM/).inputValue(), '23:00');
    for (const [day, on] of [['Mon', true], ['Tue', false], ['Thu', true], ['Sun', false]]) {
      assert.equal(await admin.getByLabel(day, { exact: true }).isChecked(), on, `${day} ${on ? '' : 'not '}ticked`);
    }
    await admin.getByLabel('Name', { exact: true }).fill(PROFILE_RENAMED);
    await shot(admin, 'profile-edit');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === '/settings' && url.searchParams.get('notice') === 'setting-saved');
    assert.equal(groupOf(admin), ids['Acme Reseller']);
    await admin.getByRole('status').waitFor();
    const profiles = admin.getByRole('table', { name: 'Backup profiles' });
    await profiles.getByRole('link', { name: PROFILE_RENAMED, exact: true }).waitFor();
    assert.equal(await profiles.getByRole('link', { name: PROFILE, exact: true }).count(), 0, 'the old name is gone');
    assert.match(await textOf(admin, rowOf(profiles, PROFILE_RENAMED)), /mon, thu at 23:00/i, 'the schedule is kept');
    await shot(admin, 'settings-profile-renamed');
  });
});

test('13d. a customer below Acme Reseller sees its profile and policy locked, without an edit link; a sibling does not see them', { timeout: TEST_TIMEOUT_MS }, async () => {
  // Bolt Limited was moved beside Acme Reseller (5b): the customer below Acme is the one of test 8.
  need('Acme Reseller', MARKUP_NAME, 'Bolt Limited');
  await step(admin, 'settings-below', async () => {
    await openSettings(admin, MARKUP_NAME);
    await admin.getByRole('heading', { level: 1, name: `Profiles and retention policies of ${MARKUP_NAME}` }).waitFor();
    for (const [table, name] of [['Backup profiles', PROFILE_RENAMED], ['Retention policies', POLICY]]) {
      const list = admin.getByRole('table', { name: table });
      const row = rowOf(list, name);
      await row.waitFor();
      assert.match(await textOf(admin, row), /from above/i, `${name} is shown locked`);
      assert.equal(await row.getByRole('link').count(), 0, `no edit link for ${name}`);
    }
    await shot(admin, 'settings-locked');


    await admin.goto(`${server.base}/settings?group=${ids['Bolt Limited']}`);
    await admin.getByRole('heading', { level: 1, name: 'Profiles and retention policies of Bolt Limited' }).waitFor();
    const seen = await textOf(admin);
    assert.doesNotMatch(seen, new RegExp(`${PROFILE_RENAMED}|${POLICY}`), 'a sibling of Acme Reseller does not see its settings');
    await shot(admin, 'settings-sibling');
  });
});

test('13e. the profile and the policy are assigned to pc-1 on its device page', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  assert.ok(pc1, 'needs pc-1, which test 12 creates');
  await step(admin, 'device-assign', async () => {
    await admin.goto(`${server.base}/devices?group=${ids['Acme Reseller']}`);
    await admin.getByRole('table', { name: 'Devices' }).getByRole('link', { name: 'pc-1', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === `/devices/${pc1.id}`);
    await admin.getByRole('heading', { level: 1, name: 'pc-1' }).waitFor();
    const profile = admin.getByLabel('Backup profile', { exact: true });
    const policy = admin.getByLabel('Retention policy', { exact: true });
    const offered = await profile.locator('option').allInnerTexts();
    assert.ok(offered.includes(PROFILE_RENAMED), `the profiles offered: ${JSON.stringify(offered)}`);
    await profile.selectOption({ label: PROFILE_RENAMED });
    await policy.selectOption({ label: POLICY });
    await shot(admin, 'device-assign');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await shot(admin, 'device-assigned');

    await admin.reload();
    await admin.getByRole('heading', { level: 1, name: 'pc-1' }).waitFor();
    assert.equal(await profile.locator('option:checked').innerText(), PROFILE_RENAMED, 'the profile is kept');
    assert.equal(await policy.locator('option:checked').innerText(), POLICY, 'the policy is kept');
  });
});

test('13f. removing the profile pc-1 uses is refused with a message', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller', 'profile');
  await step(admin, 'profile-remove-refused', async () => {
    await admin.goto(`${server.base}/settings?group=${ids['Acme Reseller']}`);
    await admin.getByRole('table', { name: 'Backup profiles' }).getByRole('link', { name: PROFILE_RENAMED, exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: `Edit ${PROFILE_RENAMED}` }).waitFor();
    let question = '';
    admin.once('dialog', (dialog) => {
      question = dialog.message();
      return dialog.accept();
    });
    await admin.getByRole('button', { name: 'Remove this backup profile', exact: true }).click();
    const refusal = admin.getByRole('alert');
    await refusal.waitFor();
    assert.match(question, /Remove this backup profile\?/, `asked first: "${question}"`);
    const said = await textOf(admin, refusal);
    assert.match(said, /still used by 1 device/, `the refusal says "${said}"`);
    assert.equal(new URL(admin.url()).pathname, `/profiles/${ids.profile}/edit`, 'the page did not move');
    await shot(admin, 'profile-remove-refused');

    await admin.goto(`${server.base}/settings?group=${ids['Acme Reseller']}`);
    await admin.getByRole('table', { name: 'Backup profiles' }).getByRole('link', { name: PROFILE_RENAMED, exact: true }).waitFor();
  });
});

// ---------------------------------------------------------------------------------------------
// 14. Import and export

const BAD_CSV = [
  'name,parent,level',
  'Cedar Ltd,Acme Reseller,end_customer',
  'Cedar Site,Cedar Ltd,site',
  'Ghost Site,Nowhere Inc,site',
  'Dune Ltd,Acme Reseller,planet',
].join('\n');

const GOOD_CSV = [
  'name,parent,level',
  'Cedar Ltd,Acme Reseller,end_customer',
  'Cedar Site,Cedar Ltd,site',
  'Dune Ltd,Acme Reseller,end_customer',
].join('\n');

test('14a. an import is checked first: every problem by its line, then the right file is imported', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  await step(admin, 'import', async () => {
    await admin.goto(`${server.base}/customers?group=${ids['Acme Reseller']}`);
    await admin.getByRole('main').getByRole('link', { name: 'Import', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === `/customers/${ids['Acme Reseller']}/import`);
    await admin.getByRole('heading', { level: 1, name: 'Import customers into Acme Reseller' }).waitFor();
    const text = admin.getByLabel('… or paste it');
    await text.fill(BAD_CSV);
    await shot(admin, 'import');
    await admin.getByRole('button', { name: 'Check (dry run)', exact: true }).click();
    const problems = admin.getByRole('alert');
    await problems.waitFor();
    const said = await textOf(admin, problems);
    assert.match(said, /Line 4\b[^\n]*parent[^\n]*Nowhere Inc/i, `the unknown parent, by its line: "${said}"`);
    assert.match(said, /Line 5\b[^\n]*level/i, `the bad level, by its line: "${said}"`);
    assert.doesNotMatch(said, /Line [23]\b/, `the right lines are not blamed: "${said}"`);
    assert.equal(await admin.getByRole('button', { name: 'Import', exact: true }).count(), 0, 'no Import button for a wrong file');
    assert.equal(await text.inputValue(), BAD_CSV, 'the text is kept');
    await shot(admin, 'import-problems');

    await text.fill(GOOD_CSV);
    await admin.getByRole('button', { name: 'Check (dry run)', exact: true }).click();
    await admin.getByRole('status').filter({ hasText: 'The file is right: importing it creates 3 customers' }).waitFor();
    assert.equal(await admin.getByRole('alert').count(), 0, 'no problems left');
    await shot(admin, 'import-checked');
    await admin.getByRole('button', { name: 'Import', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === '/customers' && url.searchParams.get('notice') === 'imported');
    assert.equal(groupOf(admin), ids['Acme Reseller']);
    await admin.getByRole('status').filter({ hasText: 'The customers were imported.' }).waitFor();
    const customers = admin.getByRole('table', { name: 'Customers' });
    for (const name of ['Cedar Ltd', 'Dune Ltd']) {
      await customers.getByRole('link', { name, exact: true }).waitFor();
    }
    await shot(admin, 'imported');
    await openFromTable(admin, 'Cedar Ltd');
    await admin.getByRole('table', { name: 'Customers' }).getByRole('link', { name: 'Cedar Site', exact: true }).waitFor();
  });
});

test('14b. "Export CSV" downloads the customers below, the imported ones included', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  await step(admin, 'export', async () => {
    await admin.goto(`${server.base}/customers?group=${ids['Acme Reseller']}`);
    const downloaded = admin.waitForEvent('download');
    await admin.getByRole('main').getByRole('link', { name: 'Export CSV', exact: true }).click();
    const download = await downloaded;
    assert.equal(download.suggestedFilename(), `customers-${ids['Acme Reseller']}.csv`);
    const file = fs.readFileSync(await download.path(), 'utf8');
    const [header, ...lines] = file.trim().split(/\r?\n/);
    for (const column of ['name', 'parent', 'level']) {
      assert.ok(header.split(',').includes(column), `the header has ${column}: ${header}`);
    }
    for (const name of ['Cedar Ltd', 'Cedar Site', 'Dune Ltd']) {
      assert.ok(lines.some((line) => line.startsWith(`${name},`)), `${name} is in the file:\n${file}`);
    }
    await shot(admin, 'export');
  });
});

// ---------------------------------------------------------------------------------------------
// 15. Users

const ACME_NEW_PASSWORD = 'violet tiger orchard again';
const API_USER = 'billing-bot@acme.test';

test('15a. jane becomes a Manager, and gets a new password that ends her session', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  await step(admin, 'user-edit', async () => {
    await admin.goto(`${server.base}/customers?group=${ids['Acme Reseller']}`);
    await admin.getByRole('main').getByRole('link', { name: 'Users', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'Users of Acme Reseller' }).waitFor();
    await admin.getByRole('table', { name: 'Users' }).getByRole('link', { name: ACME_USER, exact: true }).click();
    await admin.waitForURL((url) => /^\/users\/\d+\/edit$/.test(url.pathname));
    await admin.getByRole('heading', { level: 1, name: ACME_USER }).waitFor();
    const role = admin.getByLabel('Account type', { exact: true });
    assert.equal(await role.locator('option:checked').innerText(), 'Administrator');
    await role.selectOption({ label: 'Manager' });
    await shot(admin, 'user-edit');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === '/users' && url.searchParams.get('notice') === 'user-saved');
    assert.equal(groupOf(admin), ids['Acme Reseller']);
    await admin.getByRole('status').filter({ hasText: 'The user was saved.' }).waitFor();
    const users = admin.getByRole('table', { name: 'Users' });
    const janeRow = users.getByRole('row').filter({ has: admin.getByRole('link', { name: ACME_USER, exact: true }) });
    assert.match(await textOf(admin, janeRow), /\bManager\b/, 'listed as Manager');
    assert.doesNotMatch(await textOf(admin, janeRow), /Administrator/);
    await shot(admin, 'user-manager');

    await users.getByRole('link', { name: ACME_USER, exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: ACME_USER }).waitFor();
    await admin.getByLabel(/^New password/).fill(ACME_NEW_PASSWORD);
    await admin.getByRole('button', { name: 'Set password', exact: true }).click();
    await admin.getByRole('status').filter({ hasText: 'The password was changed' }).waitFor();
    await shot(admin, 'user-password');
  });

  if (jane) {
    await step(jane, 'new-password', async () => {
      // Her session ended: back to the login page, where the new password works and the old not.
      await jane.goto(`${server.base}/overview`);
      await jane.waitForURL((url) => url.pathname === '/login');
      await logIn(jane, 'Acme Reseller', ACME_USER, ACME_PASSWORD);
      await jane.getByRole('button', { name: 'Log in', exact: true }).click();
      await jane.getByRole('alert').waitFor();
      assert.equal(new URL(jane.url()).pathname, '/login', 'the old password no longer logs in');
      await logIn(jane, 'Acme Reseller', ACME_USER, ACME_NEW_PASSWORD);
      await submitLogin(jane);
      await jane.getByRole('heading', { level: 1, name: 'Overview of Acme Reseller' }).waitFor();
      assert.match(await textOf(jane, jane.locator('header')), /Manager/, 'she is a Manager now');
    });
  }
});

test('15b. an API user gets a token shown once, which works until it is revoked', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  await step(admin, 'api-user', async () => {
    await admin.goto(`${server.base}/users?group=${ids['Acme Reseller']}`);
    await admin.getByRole('link', { name: 'Add user', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'Add a user to Acme Reseller' }).waitFor();
    await admin.getByLabel('Username', { exact: false }).fill(API_USER);
    await admin.getByLabel('Account type').selectOption({ label: 'Operator' });
    await admin.getByLabel('An API user, with tokens').check();
    await shot(admin, 'api-user-add');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.waitForURL((url) => /^\/users\/\d+\/edit$/.test(url.pathname));
    ids[API_USER] = Number(new URL(admin.url()).pathname.split('/')[2]);
    await admin.getByRole('heading', { level: 1, name: API_USER }).waitFor();
    await admin.getByRole('status').filter({ hasText: 'The user was added.' }).waitFor();
    await admin.getByText('No tokens yet.').waitFor();
    assert.equal(await admin.getByLabel(/^New password/).count(), 0, 'an API user has no password');
    await shot(admin, 'api-user');

    await admin.getByLabel('What the new token is for').fill('nightly billing export');
    await admin.getByRole('button', { name: 'Create token', exact: true }).click();
    const field = admin.getByLabel('New API token');
    await field.waitFor();
    const token = await field.inputValue();
    assert.match(token, /^tnt_\S{20,}$/, `the token: ${token.slice(0, 8)}…`);
    const tokens = admin.getByRole('table', { name: 'API tokens' });
    await rowOf(tokens, 'nightly billing export').waitFor();
    await shot(admin, 'api-token');

    // It works against the API.
    const me = () => fetch(`${server.base}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
    const before = await me();
    assert.equal(before.status, 200, `GET /api/v1/me with the new token answered ${before.status}`);

    // Shown once.
    await admin.reload();
    await rowOf(tokens, 'nightly billing export').waitFor();
    assert.equal(await admin.getByLabel('New API token').count(), 0, 'the token is shown once');

    let question = '';
    admin.once('dialog', (dialog) => {
      question = dialog.message();
      return dialog.accept();
    });
    await rowOf(tokens, 'nightly billing export').getByRole('button', { name: 'Revoke', exact: true }).click();
    await admin.getByText('No tokens yet.').waitFor();
    assert.match(question, /Revoke this token\?/, `asked first: "${question}"`);
    assert.equal(await admin.getByRole('table', { name: 'API tokens' }).count(), 0, 'no token listed');
    await shot(admin, 'api-token-revoked');
    const afterRevoke = await me();
    assert.equal(afterRevoke.status, 401, `GET /api/v1/me with the revoked token answered ${afterRevoke.status}`);
  });
});

test('15c. a user is removed through the Remove link and its confirmation page', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller', API_USER);
  await step(admin, 'user-remove', async () => {
    await admin.goto(`${server.base}/users?group=${ids['Acme Reseller']}`);
    const users = admin.getByRole('table', { name: 'Users' });
    await users.getByRole('link', { name: `Remove ${API_USER}`, exact: true }).click();
    await admin.waitForURL((url) => url.pathname === `/users/${ids[API_USER]}/remove`);
    await admin.getByRole('heading', { level: 1, name: `Remove ${API_USER}` }).waitFor();
    await admin.getByText('This cannot be undone').waitFor();
    await shot(admin, 'user-remove-confirm');
    await admin.getByRole('button', { name: `Remove ${API_USER}`, exact: true }).click();
    await admin.waitForURL((url) => url.pathname === '/users' && url.searchParams.get('notice') === 'user-removed');
    assert.equal(groupOf(admin), ids['Acme Reseller']);
    await admin.getByRole('status').filter({ hasText: 'The user was removed.' }).waitFor();
    assert.equal(await users.getByRole('link', { name: API_USER, exact: true }).count(), 0, 'no longer listed');
    await users.getByRole('link', { name: ACME_USER, exact: true }).waitFor();
    await shot(admin, 'user-removed');
    delete ids[API_USER];
  });
});

// ---------------------------------------------------------------------------------------------
// 16. The Overview after a device reports

test('15d. five wrong passwords lock jane out; an administrator above unlocks her at once', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller');
  const context = await browser.newContext();
  const guesser = await context.newPage();
  guesser.setDefaultTimeout(STEP_TIMEOUT_MS);
  try {
    await step(guesser, 'locked-out', async () => {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        await logIn(guesser, 'Acme Reseller', ACME_USER, 'not her password at all');
        await guesser.getByRole('button', { name: 'Log in', exact: true }).click();
        await guesser.getByRole('alert').filter({ hasText: 'is wrong' }).waitFor();
      }
      // Now even her right password is refused, and the page says why.
      await logIn(guesser, 'Acme Reseller', ACME_USER, ACME_NEW_PASSWORD);
      await guesser.getByRole('button', { name: 'Log in', exact: true }).click();
      await guesser.getByRole('alert').filter({ hasText: 'locked' }).waitFor();
      await shot(guesser, 'login-locked');
    });
    await step(admin, 'unlock', async () => {
      await admin.goto(`${server.base}/users?group=${ids['Acme Reseller']}`);
      const users = admin.getByRole('table', { name: 'Users' });
      const janeRow = users.getByRole('row').filter({ has: admin.getByRole('link', { name: ACME_USER, exact: true }) });
      assert.match(await textOf(admin, janeRow), /\bLocked\b/, 'listed as locked');
      await shot(admin, 'users-locked');
      await users.getByRole('link', { name: ACME_USER, exact: true }).click();
      await admin.getByRole('heading', { level: 1, name: ACME_USER }).waitFor();
      assert.match(await textOf(admin, admin.locator('#lockout')), /Locked after too many failed logins, until .* \(in \d+ minutes?\)/);
      await shot(admin, 'user-locked');
      await admin.getByRole('button', { name: 'Unlock now', exact: true }).click();
      await admin.getByRole('status').filter({ hasText: 'The user may log in again.' }).waitFor();
      assert.equal(await admin.locator('#lockout').count(), 0, 'no longer shown as locked');
    });
    await step(guesser, 'unlocked', async () => {
      await logIn(guesser, 'Acme Reseller', ACME_USER, ACME_NEW_PASSWORD);
      await submitLogin(guesser);
      await guesser.getByRole('heading', { level: 1, name: 'Overview of Acme Reseller' }).waitFor();
    });
  } finally {
    await context.close();
  }
});

test('16. after pc-1 reports a failed session, the Overview shows 1 Failed at Acme Reseller, which opens the device', { timeout: TEST_TIMEOUT_MS }, async () => {
  need('Acme Reseller', 'North Sub');
  assert.ok(pc1?.credential, 'needs pc-1 and its credential, which test 12 creates');
  await step(admin, 'overview-failed', async () => {
    const now = Date.now();
    const reported = await fetch(`${server.base}/api/v1/devices/${pc1.id}/sessions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${pc1.credential}` },
      body: JSON.stringify({
        started_at: new Date(now - 10 * 60_000).toISOString(),
        ended_at: new Date(now - 60_000).toISOString(),
        status: 'failed',
        selected_bytes: 1000,
        used_bytes: 500,
        files: 3,
        errors: 1,
      }),
    });
    assert.equal(reported.status, 201, `POST sessions answered ${reported.status}: ${await reported.clone().text()}`);

    // The brand leads to the Overview of one's own group (the menu's follows the page's customer).
    await admin.getByRole('banner').getByRole('link', { name: 'Tenantry', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: `Overview of ${ROOT_NAME}` }).waitFor();
    const table = admin.getByRole('table', { name: 'Devices by last session' });
    await table.getByRole('link', { name: 'North Sub', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'Overview of North Sub' }).waitFor();
    const headers = (await table.getByRole('columnheader').allInnerTexts()).map((h) => h.trim());
    const failedColumn = headers.indexOf('Failed');
    assert.ok(failedColumn > 0, `a Failed column: ${JSON.stringify(headers)}`);
    const acme = table.getByRole('row').filter({ has: admin.getByRole('link', { name: 'Acme Reseller', exact: true }) });
    const failed = acme.getByRole('cell').nth(failedColumn);
    assert.equal((await failed.innerText()).trim(), '1', `Acme Reseller's row: ${await textOf(admin, acme)}`);
    await shot(admin, 'overview-failed');

    await failed.getByRole('link').click();
    await admin.waitForURL((url) => url.pathname === '/devices');
    const url = new URL(admin.url());
    assert.equal(groupOf(admin), ids['Acme Reseller']);
    assert.equal(url.searchParams.get('status'), 'failed');
    await admin.getByRole('heading', { level: 1, name: 'Devices of Acme Reseller' }).waitFor();
    const devices = admin.getByRole('table', { name: 'Devices' });
    const row = devices.getByRole('row').filter({ has: admin.getByRole('link', { name: 'pc-1', exact: true }) });
    await row.waitFor();
    assert.match(await textOf(admin, row), /Failed/i, 'shown as failed');
    assert.equal(await devices.getByRole('row').count(), 2, 'a header and pc-1 only');
    assert.equal(await admin.getByLabel('Status').locator('option:checked').innerText(), 'Failed', 'the filter shows what is filtered');
    await shot(admin, 'devices-failed');
  });
});

test('the console loads nothing from other hosts', async () => {
  assert.deepEqual(admin.context().blockedRequests, []);
  if (jane) {
    assert.deepEqual(jane.context().blockedRequests, []);
  }
});
