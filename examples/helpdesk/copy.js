// The Copy button of the recovery codes page. A file of its own: the demo's Content-Security-
// Policy allows scripts from the site only, never inline. Without JavaScript the button stays
// hidden, and Download or a plain selection still work.
for (const button of document.querySelectorAll('button[data-copy]')) {
  const list = document.getElementById(button.dataset.copy);
  const status = document.getElementById('copy-status');
  if (!list) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    const text = [...list.querySelectorAll('code')].map((code) => code.textContent).join('\n');
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch {
      // No clipboard API (say, not a secure context): select the codes and copy the selection.
      const range = document.createRange();
      range.selectNodeContents(list);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      copied = document.execCommand('copy');
    }
    if (status) status.textContent = copied ? 'Copied. Paste them somewhere safe.' : 'Could not copy: select the codes and copy them, or use Download.';
  });
}
