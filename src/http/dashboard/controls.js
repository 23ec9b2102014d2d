// The operator's controls: a camera's threshold, a line's recipe, and a reject marked a false reject, sent on the
// command topics the server gave this login (operators only; the server's relay refuses a viewer's publish whatever a
// page does). The service checks each command as it checks any other, logs it with the user and answers it on the
// command's result topic; each command carries a `requestId` of this page, and what the page shows is that answer:
// what is in force now, or why it was refused.

/** How long a command waits for its answer before the page says it was not answered. */
export const answerMs = 5000;
/** How long a false reject's confirmation waits for the operator before it is withdrawn. */
export const confirmMs = 30_000;

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function output() {
  const result = el('output', { class: 'result' });
  const show = (text, kind) => {
    result.textContent = text;
    result.className = `result ${kind}`;
  };
  return { result, show };
}

/**
 * Controls for one page. `send(topic, text, { retain })` publishes and returns false when there is no connection;
 * `clock` formats times. Returns how the page adds the forms and what it calls with every command result
 * (`result(payload)`), from the result topics the server named.
 */
export function operatorControls({ send, clock }) {
  /** requestId → { done(result), timer } while a command waits for its answer. */
  const pending = new Map();
  const session = Math.random().toString(36).slice(2, 10);
  let sent = 0;

  /** Sends `doc` with a new requestId; `done` gets the result, `unanswered` runs when none came in time. */
  function command(topic, doc, retain, done, unanswered) {
    const requestId = `page-${session}-${++sent}`;
    if (!send(topic, JSON.stringify({ ...doc, requestId }), { retain })) return false;
    const timer = setTimeout(() => {
      pending.delete(requestId);
      unanswered();
    }, answerMs);
    pending.set(requestId, { done, timer });
    return true;
  }

  const refusedText = (r) => `refused: ${r.reason}`;

  return {
    /** The threshold form of a camera card. */
    thresholdForm(cam, container) {
      const form = el('form', { class: 'threshold-form' });
      const input = el('input', { type: 'number', name: 'threshold', step: 'any', min: '0', required: '', 'aria-label': `new threshold of ${cam.camera}` });
      const { result, show } = output();
      form.append(input, el('button', { type: 'submit' }, 'Set threshold'), result);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const value = Number(input.value);
        const done = (r) => {
          if (r.result !== 'accepted') return show(refusedText(r), 'refused');
          const t = r.inForce;
          show(`applied: threshold ${t.threshold} on ${t.camera} (${t.product}), by ${r.by ?? '?'} at ${clock.time(r.at)}`, 'applied');
        };
        const unanswered = () => show(`threshold ${value} not answered within ${answerMs / 1000} s (the service log says why)`, 'refused');
        if (!command(cam.thresholdSetTopic, { threshold: value }, false, done, unanswered)) return show('not sent: no connection to the service', 'refused');
        show(`threshold ${value} sent at ${clock.time(Date.now())}, waiting for the service…`, 'waiting');
      });
      container.append(form);
    },

    /** The recipe form of a line. */
    recipeForm(line, products, container) {
      const form = el('form', { class: 'recipe-form', 'data-line': line.line });
      const select = el('select', { name: 'product', 'aria-label': `product of line ${line.line}` });
      for (const p of products) select.append(el('option', { value: p }, p));
      const { result, show } = output();
      form.append(el('span', {}, `line ${line.line}`), select, el('button', { type: 'submit' }, 'Change recipe'), result);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const product = select.value;
        const done = (r) => {
          if (r.result !== 'accepted') return show(refusedText(r), 'refused');
          show(`applied: line ${line.line} inspects ${r.inForce?.product ?? product}, by ${r.by ?? '?'} at ${clock.time(r.at)}`, 'applied');
        };
        const unanswered = () => show(`recipe ${product} not answered within ${answerMs / 1000} s (the service log says why)`, 'refused');
        // the recipe topic is retained by contract: a new subscriber learns the recipe in force
        if (!command(line.recipeTopic, { product }, true, done, unanswered)) return show('not sent: no connection to the service', 'refused');
        show(`recipe ${product} sent at ${clock.time(Date.now())}, waiting for the service…`, 'waiting');
      });
      container.append(form);
    },

    /**
     * A button in a reject's row that marks it a false reject: its frame joins the product's good images. It asks
     * first, naming the reject: a defect taken for a good image teaches the model that defect, and on a busy table (or
     * a touch panel) the row under a click may not be the one the operator looked at. The row is marked
     * `data-confirming` while it asks (the page holds the table still meanwhile); unanswered, it stops asking after
     * `confirmMs`.
     */
    falseRejectButton(verdict, cam, container) {
      const button = el('button', { type: 'button', class: 'false-reject', title: 'a good part: its frame joins the good images of the next training' }, 'False reject');
      const ask = el('span', { class: 'confirm', hidden: '' });
      const what = el('span', { class: 'confirm-what' }, `${verdict.line}/${verdict.camera} #${verdict.seq}, score ${Number(verdict.score).toFixed(4)}: a good part? `);
      const yes = el('button', { type: 'button', class: 'confirm-false-reject' }, 'Add to good images');
      const no = el('button', { type: 'button', class: 'cancel-false-reject' }, 'Cancel');
      ask.append(what, yes, no);
      const { result, show } = output();
      container.append(button, ask, result);
      let asking;
      const asked = () => {
        clearTimeout(asking);
        ask.hidden = true;
        button.hidden = false;
        delete container.closest('tr')?.dataset.confirming;
      };
      const again = () => {
        button.disabled = false;
        delete button.dataset.sent;
      };
      button.addEventListener('click', () => {
        button.hidden = true;
        ask.hidden = false;
        const row = container.closest('tr');
        if (row) row.dataset.confirming = '';
        asking = setTimeout(() => {
          asked();
          container.dispatchEvent(new Event('confirm-ended', { bubbles: true }));
        }, confirmMs);
      });
      no.addEventListener('click', asked);
      yes.addEventListener('click', () => {
        asked();
        const done = (r) => {
          if (r.result === 'accepted') return show(`in the dataset: ${r.inForce.file}, by ${r.by ?? '?'}`, 'applied');
          again();
          show(refusedText(r), 'refused');
        };
        const unanswered = () => {
          again();
          show(`not answered within ${answerMs / 1000} s`, 'refused');
        };
        if (!command(cam.feedbackTopic, { verdictId: verdict.id, kind: 'false-reject' }, false, done, unanswered)) return show('not sent: no connection to the service', 'refused');
        button.disabled = true;
        button.dataset.sent = '';
        show('sent, waiting for the service…', 'waiting');
      });
    },

    /** A command result: answers the control waiting for it, if it is one of this page's. */
    result(r) {
      const p = pending.get(r.requestId);
      if (!p) return;
      clearTimeout(p.timer);
      pending.delete(r.requestId);
      p.done(r);
    },
  };
}
