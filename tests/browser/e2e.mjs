// The pages as people use them, in a real headless Chromium (Debian's /usr/bin/chromium)
// driven by playwright-core: log in and drill from the cockpit to a payment voucher, take a
// warning through two steps of its life cycle as two people, upload a bad file and read its
// row errors, sign an approval step from its page, read the public portal (with the
// published ranking) on a phone-sized screen, adopt a proposed risk, record an informal
// communication, and hold a meeting to its signed minutes.
// Usage: node tests/browser/e2e.mjs BINARY
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const binary = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), 'bw-browser-'));
const db = join(dir, 'demo.db');

// Screenshots of each journey, kept where BW_SCREENSHOTS says (CI keeps them as artefacts).
const shots = process.env.BW_SCREENSHOTS || join(dir, 'shots');
mkdirSync(shots, { recursive: true });
async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

function fail(message) {
  throw new Error(message);
}

function check(condition, message) {
  if (!condition) fail(message);
}

/** Starts the demo; resolves with its URL and the printed log-ins. */
function startDemo() {
  return new Promise((resolve, reject) => {
    const server = spawn(binary, ['--db', db, 'demo', '--data', join(dir, 'data'), '--payments', '4000', '--accounts-unit', '990000001001', '--addr', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const passwords = {};
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      for (const line of out.split('\n')) {
        const w = line.trim().split(/\s+/);
        const i = w.indexOf('password');
        if (i > 0) passwords[w[i - 1]] = w[i + 1];
        const at = line.indexOf(' at http://');
        if (at >= 0) resolve({ server, url: line.slice(at + 4).trim().replace(/\/$/, ''), passwords });
      }
    });
    server.on('exit', (code) => reject(new Error(`the demo exited with ${code}`)));
  });
}

async function logIn(browser, url, user, password, viewport) {
  const context = await browser.newContext({ viewport: viewport ?? { width: 1200, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(`${url}/login`);
  await page.fill('#user', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
  return page;
}

const { server, url, passwords } = await startDemo();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let ok = false;
try {
  // 1. Drill from the cockpit to a voucher.
  const head = await logIn(browser, url, 'bureau-head', passwords['bureau-head']);
  check(await head.locator('svg.treemap').count() === 1, 'the cockpit shows the treemap');
  check(await head.locator('p.treemap-legend b').count() === 3, 'the treemap has a legend of its three colours');
  check((await head.textContent('main')).includes('金额最大的疑点支付'), 'the largest payments under warning');
  await shot(head, 'cockpit');
  await head.goto(`${url}/?year=2025`);
  await Promise.all([head.waitForURL(/\/org\//), head.locator('table a[href^="/org/"]').first().click()]);
  for (let depth = 0; depth < 6 && (await head.locator('a[href^="/indicator/"]').count()) === 0; depth++) {
    await Promise.all([head.waitForURL(/\/org\//), head.locator('tbody a[href^="/org/"]').first().click()]);
  }
  check(await head.locator('a[href^="/indicator/"]').count() > 0, 'reached a unit with its indicators');
  await Promise.all([head.waitForURL(/\/indicator\//), head.locator('a[href^="/indicator/"]').first().click()]);
  await Promise.all([head.waitForURL(/\/voucher\//), head.locator('a[href^="/voucher/"]').first().click()]);
  check((await head.textContent('h1')).includes('支付凭证'), 'the voucher page');
  check(await head.locator('dl.kv dt').count() >= 10, 'the voucher details');

  // 2. A warning's life cycle: the unit explains in several lines with a scan attached, the
  //    unit head signs it off, the department reviewer judges.
  const handler = await logIn(browser, url, 'unit-handler', passwords['unit-handler']);
  check(new URL(handler.url()).pathname === '/org/990000001001', `a unit's handler lands on the unit: ${handler.url()}`);
  await handler.goto(`${url}/inbox?state=open`);
  const first = handler.locator('a[href^="/warning/"]').first();
  const href = await first.getAttribute('href');
  await Promise.all([handler.waitForURL(/\/warning\//), first.click()]);
  const explain = handler.locator('form:has(input[name=step][value=explain])');
  await explain.locator('textarea[name=note]').fill('已核实。\n系合同分期付款，第二期按进度支付。');
  await explain.locator('input[type=file]').setInputFiles({
    name: '合同扫描件.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% scan\n%%EOF\n'),
  });
  await Promise.all([handler.waitForURL(/done=/), explain.locator('button').click()]);
  check((await handler.textContent('[role=status]')).includes('已说明，待单位负责人签批'), 'the explanation waits for the head');
  check((await handler.textContent('table')).includes('unit-handler'), 'the life cycle names who explained');
  check((await handler.locator('div.text').first().innerText()).includes('\n'), 'the explanation keeps its lines');
  check(await handler.locator('td a[href^="/document/"]').count() === 1, 'the attachment is listed with the step');
  check(await handler.locator('input[name=step][value=judge_violation]').count() === 0, 'a handler does not judge');
  check(await handler.locator('input[name=step][value=sign_off]').count() === 0, 'a handler does not sign off');
  const signer = await logIn(browser, url, 'unit-head', passwords['unit-head']);
  await signer.goto(`${url}${href}`);
  const sign = signer.locator('form:has(input[name=step][value=sign_off])');
  await Promise.all([signer.waitForURL(/done=/), sign.locator('button').click()]);
  check((await signer.textContent('[role=status]')).includes('已说明，待审核'), 'signed off, to the reviewer');
  await shot(signer, 'warning');
  const reviewer = await logIn(browser, url, 'department-reviewer', passwords['department-reviewer']);
  await reviewer.goto(`${url}${href}`);
  const judge = reviewer.locator('form:has(input[name=step][value=judge_violation])');
  await judge.locator('textarea[name=note]').fill('需整改');
  await Promise.all([reviewer.waitForURL(/done=/), judge.locator('button').click()]);
  check((await reviewer.textContent('h1')).includes('待提交整改方案'), 'the warning awaits its rectification plan');

  // 3. A bad file's row errors on the import page.
  await handler.goto(`${url}/import`);
  const bad = 'voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary\n'
    + 'WEB-1,2025-02-30,990000001001,X,30201,某公司,62001,company,1.001,办公\n';
  await handler.setInputFiles('#file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await handler.click('#upload button');
  await handler.waitForSelector('table.row-errors tbody tr');
  const errors = await handler.textContent('table.row-errors');
  check(errors.includes('金额（amount）') && errors.includes('pay_date'), `the row errors name the fields: ${errors}`);
  check(errors.includes('取值格式不正确'), `the reasons in Chinese: ${errors}`);
  // A GBK file (Excel's "CSV" on Chinese Windows) is refused with its remedy, never misread.
  const header = 'voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary\n';
  const gbk = Buffer.concat([Buffer.from(header + 'WEB-2,2025-02-03,990000001001,X,30201,'),
    Buffer.from([0xc4, 0xb3, 0xb9, 0xab, 0xcb, 0xbe]), Buffer.from(',62001,company,1.00,x\n')]);
  await handler.setInputFiles('#file', { name: 'gbk.csv', mimeType: 'text/csv', buffer: gbk });
  await handler.click('#upload button');
  await handler.waitForFunction(() => document.querySelector('table.row-errors')?.textContent.includes('GBK 编码'));

  // 4. Budget work: the unit head signs the first step of the draft the demo submitted,
  //    from the item's page; last year's performance flags the distorted evaluation.
  const unitHead = await logIn(browser, url, 'unit-head', passwords['unit-head']);
  await Promise.all([unitHead.waitForURL(/\/budget\//), unitHead.locator('header a[href^="/budget/"]').click()]);
  check((await unitHead.textContent('ol.stages li.now')).includes('编制'), 'the cycle is in preparation');
  await Promise.all([unitHead.waitForURL(/\/approval\//), unitHead.locator('a[href^="/approval/"]').first().click()]);
  const decide = unitHead.locator('form[action*="/decide"]');
  await decide.locator('select[name=step]').selectOption('unit_head');
  await decide.locator('input[name=comment]').fill('同意');
  await decide.locator('input[name=password]').fill(passwords['unit-head']);
  await Promise.all([unitHead.waitForURL(/done=/), decide.locator('button').click()]);
  check((await unitHead.textContent('[role=status]')).includes('等待其余步骤'), 'the step is signed, the next ones open');
  check((await unitHead.textContent('table')).includes('unit-head'), 'the steps name who signed');
  await unitHead.goto(`${url}/performance/2025`);
  check((await unitHead.textContent('main')).includes('失真'), 'the distorted evaluation is flagged');

  // 5. The public portal on a phone: it opens on the demo's year, not an empty one.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const portal = await phone.newPage();
  await portal.goto(`${url}/public`);
  check(await portal.locator('select[name=year] option[selected]').textContent() === '2025', 'the portal opens on the demo year');
  check(await portal.locator('#no-data').count() === 0, 'the portal opens on data');
  check(await portal.locator('svg.heat').count() === 1, 'the fund-flow heat map');
  check(await portal.locator('p.legend').count() === 1, 'the heat map has a legend');
  check(await portal.locator('#ranking').count() === 1, 'the published performance ranking');
  const wide = await portal.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(wide <= 1, `the page fits the phone's width (${wide}px too wide)`);
  // A department's name keeps whole words on a line or two, never a character a line.
  const cell = await portal.evaluate(() => {
    const td = document.querySelector('table.disclosure tbody td');
    return { height: td.getBoundingClientRect().height, line: parseFloat(getComputedStyle(td).lineHeight) || 20 };
  });
  check(cell.height <= cell.line * 3 + 12, `a department's name wraps into ${cell.height}px`);
  check(!(await portal.content()).includes('bw_session'), 'no session on the portal');
  await shot(portal, 'portal-phone');
  const [csv] = await Promise.all([portal.waitForEvent('download'), portal.locator('#departments a[href*=".csv"]').click()]);
  check(csv.suggestedFilename().endsWith('.csv'), `the departments download as CSV: ${csv.suggestedFilename()}`);
  await portal.goto(`${url}/public?year=2019`);
  check((await portal.textContent('#no-data')).includes('2019 年尚无公开数据'), 'a year without data says so');
  // The citizen's inquiry, on the phone: register, log in, choose the subject, follow it.
  await portal.goto(`${url}/public/feedback`);
  await Promise.all([portal.waitForURL(/\/register/), portal.locator('main a[href="/register"]').click()]);
  await portal.fill('input[name=name]', 'zhang.min');
  await portal.fill('input[name=password]', 'a long password');
  await portal.fill('input[name=again]', 'a long password');
  await Promise.all([portal.waitForURL(/\/login/), portal.locator('main form button').click()]);
  check((await portal.textContent('body')).includes('注册成功'), 'registered, asked to log in');
  await portal.fill('#user', 'zhang.min');
  await portal.fill('#password', 'a long password');
  await Promise.all([portal.waitForURL(/\/public\/feedback/), portal.click('button[type=submit]')]);
  await portal.locator('select[name=kind]').selectOption('inquiry');
  await portal.locator('select[name=subject]').selectOption({ index: 1 });
  await portal.fill('textarea[name=text]', '请问今年的公务接待费为何超过预算？');
  await Promise.all([portal.waitForURL(/done=/), portal.locator('#ask button').click()]);
  check((await portal.textContent('#mine + div')).includes('待审核'), 'the inquiry waits for moderation, and says so');
  await shot(portal, 'inquiry-phone');

  // 6. The auditor lands on the audit page: Benford chart and a download.
  const auditor = await logIn(browser, url, 'audit-discipline', passwords['audit-discipline']);
  check(new URL(auditor.url()).pathname === '/audit', `the auditor lands on the audit: ${auditor.url()}`);
  check(await auditor.locator('svg.benford rect').count() === 9, 'the Benford chart has a bar for each first digit');
  check((await auditor.textContent('#benford')).includes('本福特'), 'the Benford test is named in Chinese');
  check(await auditor.locator('#findings + div table tbody tr').count() > 0, 'the findings by test');
  await shot(auditor, 'audit');
  const [file] = await Promise.all([auditor.waitForEvent('download'), auditor.locator('#findings a[href*=".xlsx"]').click()]);
  check(file.suggestedFilename().endsWith('.xlsx'), `the findings download as XLSX: ${file.suggestedFilename()}`);

  // 7. The bureau's reviewer adopts a risk the key risk indicators proposed; the unit's
  // finance officer records an informal communication with the browser's date-time field.
  const bureau = await logIn(browser, url, 'bureau-reviewer', passwords['bureau-reviewer']);
  await bureau.goto(`${url}/risks`);
  check(await bureau.locator('#proposals').count() === 1, 'the proposed risks are listed');
  const adopt = bureau.locator('form[action^="/risks/proposals/"]:has(input[value=adopt])').first();
  await adopt.locator('input[name=owner]').fill('预算科');
  await Promise.all([bureau.waitForURL(/\/risks\/\d+/), adopt.locator('button').click()]);
  check((await bureau.textContent('main')).includes('已采纳，风险已登记'), 'the proposal becomes a risk');
  await shot(bureau, 'risk-adopted');
  const finance = await logIn(browser, url, 'unit-finance', passwords['unit-finance']);
  await finance.goto(`${url}/informal`);
  const now = new Date(Date.now() + 8 * 3600 * 1000 - 30 * 60 * 1000).toISOString().slice(0, 16);
  await finance.fill('input[name=occurred]', now);
  await finance.locator('select[name=channel]').selectOption('phone');
  await finance.fill('input[name=participants]', '张三；李四');
  await finance.fill('input[name=item]', '2025 ZB99000000100101');
  await finance.fill('textarea[name=conclusion]', '电话咨询办公设备购置指标调剂口径');
  await Promise.all([finance.waitForURL(/done=/), finance.locator('#add-informal button').click()]);
  const row = finance.locator('#informal tr', { hasText: '电话咨询办公设备购置指标调剂口径' });
  check(await row.count() === 1, 'the record is listed');
  check(!(await row.textContent()).includes('迟报'), 'recorded within 24 hours: on time');
  await shot(finance, 'informal');

  // 8. The December analysis meeting: its agenda pack on the page; the bureau's reviewer
  // records it held and takes the minutes; the bureau head signs them with the signing
  // password; the minutes are then a PDF. The scene's contract shows its milestone ladder.
  await bureau.goto(`${url}/meetings`);
  await Promise.all([bureau.waitForURL(/\/meeting\/\d+/), bureau.locator('#meetings a', { hasText: '2025年12月预算执行分析会' }).click()]);
  check((await bureau.textContent('#pack')).includes('万元'), 'the pack shows the execution in 万元');
  check((await bureau.textContent('#pack-items')).includes('逐项核实逾期未整改的预警'), 'the open action item is carried over');
  const meetingUrl = bureau.url();
  await Promise.all([bureau.waitForURL(/done=/), bureau.locator('#hold button').click()]);
  await bureau.goto(meetingUrl);
  await Promise.all([bureau.waitForURL(/done=/), bureau.locator('#minutes button').click()]);
  const chair = await logIn(browser, url, 'bureau-head', passwords['bureau-head']);
  await chair.goto(meetingUrl);
  await chair.fill('#sign input[name=password]', passwords['bureau-head']);
  await Promise.all([chair.waitForURL(/done=/), chair.locator('#sign button').click()]);
  check((await chair.textContent('#meeting-state')).includes('纪要已签批'), 'the chair\'s signature approves the minutes');
  check(await chair.locator('#minutes-pdf').count() === 1, 'the minutes are a PDF');
  await shot(chair, 'meeting-minutes');
  await chair.goto(`${url}/public`);
  check((await chair.textContent('#milestones')).includes('里程碑'), 'the portal shows the milestones\' progress');
  ok = true;
} finally {
  await browser.close();
  server.kill();
  await new Promise((r) => server.on('exit', r));
  if (ok) {
    const verify = execFileSync(binary, ['--db', db, 'verify']).toString();
    check(verify.startsWith('verified'), verify);
  }
  rmSync(dir, { recursive: true, force: true });
}
console.log(`browser tests passed: drill-down, life cycle, row errors, a signed approval, portal on a phone, the audit's Benford page, a proposed risk adopted, an informal record, a meeting's signed minutes (screenshots in ${shots})`);
