import type { BrowserCheckContext } from '../../../checks/browser.ts';

/** The service desk form of the `web` image: a user reports a problem and is thanked for it. */
export default async function ({ page, baseUrl, expectText }: BrowserCheckContext): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await expectText('h1', 'IT service desk');
  await page.fill('#name', 'Ada Lovelace');
  await page.fill('#problem', 'My workstation no longer starts after the update.');
  await page.click('button[type=submit]');
  await expectText('h1', 'Thanks');
}
