/**
 * Recovery codes in the demo, at the HTTP level: shown once after a set-up (never again on a
 * reload, downloadable once, gone once the page is left, in no URL or log line), a login with
 * one, the offer of new ones when few are left, and security notices in the outbox.
 */
import { describe, expect, it } from 'vitest';
import { RECOVERY_CODE_FAILED } from '../../examples/helpdesk/messages.js';
import { Agent, app, codeFromOutbox, emailSetupCodeSent, flashOf, recoveryCodesOf, totpWithRecoveryCodes, useHelpdesk, type Reply } from './_client.js';

useHelpdesk();

const GONE = 'Recovery codes are shown only once, so this page no longer has them.';

/** Signs `agent` out and in again with the password: the verify page's login. */
async function backToVerify(agent: Agent, email: string): Promise<Reply> {
  await agent.get('/');
  await agent.post('/logout', {});
  const verify = await agent.follow(await agent.password(email));
  expect(verify.body).toContain('<h1>Two-factor authentication</h1>');
  return verify;
}

describe('new recovery codes are shown once', () => {
  it('after a TOTP set-up at login: ten distinct codes; a reload shows none, and then the download has nothing either', async () => {
    const { agent, codes } = await totpWithRecoveryCodes('ann@acme.test');
    expect(new Set(codes).size).toBe(10);
    expect((await app.helpdesk.twoFactor.status('ann')).recoveryCodes).toMatchObject({ remaining: 10, usable: true });

    const reload = await agent.get('/recovery-codes');
    expect(reload.status).toBe(200);
    expect(recoveryCodesOf(reload.body)).toEqual([]);
    expect(reload.body).toContain(GONE);
    for (const code of codes) expect(reload.body).not.toContain(code);
    expect((await agent.get('/recovery-codes/download')).status).toBe(410);
    // No code in the log (mails and audit events).
    const log = app.log.join('\n');
    for (const code of codes) expect(log).not.toContain(code);
  });

  it('the page: codes in a list, a Copy button from an external script (the CSP allows no inline one), Download and Continue', async () => {
    const { agent } = await emailSetupDone();
    const page = await agent.get('/recovery-codes');
    expect(recoveryCodesOf(page.body)).toHaveLength(10);
    expect(page.body).toContain('<button type="button" class="secondary" data-copy="recovery-codes" hidden>Copy</button>');
    expect(page.body).toContain('<script src="/copy.js"></script>');
    expect(page.body).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
    expect(page.body).toContain('href="/recovery-codes/download"');
    expect(page.body).toContain('<a class="button" href="/">Continue</a>');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await agent.get('/copy.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('navigator.clipboard.writeText');
  });

  it('downloads once, as a text attachment with the same codes; then neither the download nor the page has them', async () => {
    const { agent, codes } = await totpWithRecoveryCodes('bob@acme.test');
    const file = await agent.get('/recovery-codes/download');
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="acme-help-recovery-codes.txt"');
    expect(file.headers.get('cache-control')).toBe('no-store');
    expect(file.body).toContain('Acme Help: recovery codes for bob@acme.test');
    expect(file.body.split('\n').filter((l) => /^[A-Z2-7]{5}-[A-Z2-7]{5}$/.test(l))).toEqual(codes);

    const again = await agent.get('/recovery-codes/download');
    expect(again.status).toBe(410);
    expect(again.body).toContain(GONE);
    expect(recoveryCodesOf((await agent.get('/recovery-codes')).body)).toEqual([]);
  });

  it('leaving the page drops them: after another page, the download has nothing', async () => {
    const { agent } = await totpWithRecoveryCodes('cho@acme.test');
    expect((await agent.get('/')).status).toBe(200);
    expect((await agent.get('/recovery-codes/download')).status).toBe(410);
  });

  it('after an email set-up at login too; the codes are not in any mail', async () => {
    const { agent } = await emailSetupDone();
    const codes = recoveryCodesOf((await agent.get('/recovery-codes')).body);
    expect(codes).toHaveLength(10);
    const outbox = (await new Agent().get('/outbox')).body;
    for (const code of codes) expect(outbox).not.toContain(code);
  });
});

/** Bob sets email up at login: the reply to his code, which goes to the recovery codes. */
async function emailSetupDone(): Promise<{ agent: Agent }> {
  const agent = await emailSetupCodeSent('bob@acme.test');
  expect((await agent.post('/login/email', { code: await codeFromOutbox('bob@acme.test') })).location).toBe('/recovery-codes');
  return { agent };
}

describe('signing in with a recovery code', () => {
  it('the verify page links to it; a wrong code is refused; a right one signs in and says how many are left; it works once', async () => {
    const { agent, codes } = await totpWithRecoveryCodes('ann@acme.test');
    const verify = await backToVerify(agent, 'ann@acme.test');
    expect(verify.body).toContain('<a href="/login/recovery">Use a recovery code</a>');
    const form = await agent.get('/login/recovery');
    expect(form.body).toContain('<h1>Use a recovery code</h1>');
    expect(form.body).toContain('action="/login/recovery"');

    const wrong = await agent.follow(await agent.post('/login/recovery', { code: 'AAAAA-AAAAA' }));
    expect(flashOf(wrong.body)).toBe(RECOVERY_CODE_FAILED);
    expect(await agent.signedIn()).toBe(false);

    // Typed as people type it: lower case, a space for the hyphen.
    const typed = codes[3]!.toLowerCase().replace('-', ' ');
    const reply = await agent.post('/login/recovery', { code: typed });
    expect(reply.location).toBe('/');
    const home = await agent.get('/');
    expect(flashOf(home.body)).toBe('Signed in with a recovery code. 9 recovery codes left.');
    expect(home.body).not.toContain('id="few-recovery-codes"');
    expect(home.body).not.toContain(codes[3]!);

    await backToVerify(agent, 'ann@acme.test');
    const reused = await agent.follow(await agent.post('/login/recovery', { code: codes[3]! }));
    expect(flashOf(reused.body)).toBe(RECOVERY_CODE_FAILED);
    expect(await agent.signedIn()).toBe(false);
  });

  it('with few left: the message says so, and the tickets page offers new codes, which replace the old ones', async () => {
    const { agent, codes } = await totpWithRecoveryCodes('ann@acme.test');
    for (const code of codes.slice(0, 7)) expect((await app.helpdesk.twoFactor.verifyRecoveryCode('ann', code)).ok).toBe(true);
    await backToVerify(agent, 'ann@acme.test');
    expect((await agent.post('/login/recovery', { code: codes[7]! })).location).toBe('/');
    const home = await agent.get('/');
    expect(flashOf(home.body)).toBe('Signed in with a recovery code. 2 recovery codes left: generate new ones under Security.');
    expect(home.body).toMatch(/id="few-recovery-codes"><p>Only 2 recovery codes left\.<\/p>[^]*?action="\/preferences\/security\/recovery"/);

    // Just signed in with a code: no fresh one is asked for.
    expect((await agent.post('/preferences/security/recovery', {})).location).toBe('/recovery-codes');
    const fresh = recoveryCodesOf((await agent.get('/recovery-codes')).body);
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(codes[8]);
    expect((await app.helpdesk.twoFactor.verifyRecoveryCode('ann', codes[8]!)).ok).toBe(false);
    expect((await app.helpdesk.twoFactor.status('ann')).recoveryCodes?.remaining).toBe(10);
  });

  it('an agent without recovery codes sees no link', async () => {
    const provisioned = await app.helpdesk.twoFactor.admin.provisionTotp('dev', { account: 'dev@acme.test' });
    expect(provisioned.ok).toBe(true);
    const dev = new Agent();
    const verify = await dev.follow(await dev.password('dev@acme.test'));
    expect(verify.body).toContain('<h1>Two-factor authentication</h1>');
    expect(verify.body).not.toContain('Use a recovery code');
  });
});

describe('security notices in the outbox', () => {
  it('are listed as security notices, with no code; the code mails stay as they were', async () => {
    const { codes } = await totpWithRecoveryCodes('ann@acme.test');
    const outbox = (await new Agent().get('/outbox')).body;
    const notices = [...outbox.matchAll(/<article class="mail notice" data-to="ann@acme\.test">([^]*?)<\/article>/g)].map((m) => m[1]!);
    expect(notices.length).toBeGreaterThanOrEqual(2); // the app set up, the recovery codes made
    for (const notice of notices) {
      expect(notice).toContain('<strong>Security notice</strong>');
      expect(notice).not.toMatch(/\b\d{6}\b/);
      for (const code of codes) expect(notice).not.toContain(code);
    }
    expect(app.log.some((line) => line.startsWith('security notice to ann@acme.test: '))).toBe(true);
    const sent = app.helpdesk.outbox.sent.filter((m) => m.kind === 'notice').map((m) => m.kind === 'notice' && m.notice.type);
    expect(sent).toEqual(expect.arrayContaining(['method-activated', 'recovery-generated']));
  });
});
