// Admin › Cadangan: download a backup now, the backups in the folder, restore from an upload or
// from the folder — always after showing what the file holds and asking to confirm (issue 32).
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorWithFields } from '../i18n.js';
import { formatDateTime } from '../format.js';
import { setUser } from '../session.js';
import { table, section, errorNotice, loading, confirmDialog, flash, facts } from '../ui.js';

/** The tables a librarian recognises, in the order the summary shows them. */
const SHOWN = ['books', 'copies', 'members', 'loans', 'holds', 'fines', 'visits', 'users'];

function size(bytes) {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** "Buku 1.204 · Eksemplar 2.310 · …" from a backup's tables. */
function rowsText(tables) {
  const rows = Object.fromEntries((tables || []).map((x) => [x.name, x.rows]));
  return SHOWN.filter((n) => n in rows).map((n) => `${t(`backup.table.${n}`)} ${Number(rows[n]).toLocaleString('id-ID')}`).join(' · ');
}

/** What a backup holds, as the confirmation shows it. */
function contentsBox(c) {
  return h('div', { class: 'backup-contents', 'data-testid': 'backup-contents' },
    facts([
      [t('backup.created_at'), formatDateTime(c.created_at || c.written_at)],
      c.backend && [t('backup.backend'), c.backend === 'mariadb' ? 'MariaDB' : 'SQLite'],
      [t('backup.rows'), rowsText(c.tables)],
    ]));
}

/** After a restore every login is gone (this one too): back to the login form. */
function afterRestore() {
  flash(t('backup.restored'));
  setUser(null);
  location.hash = '#/masuk';
}

async function restoreWith(contents, run) {
  const ok = await confirmDialog(`${t('backup.confirm')} ${rowsText(contents.tables)}`, { danger: true, confirmLabel: t('backup.restore') });
  if (!ok) return;
  try {
    await run();
    afterRestore();
  } catch (err) {
    flash(errorWithFields(err), 'error');
  }
}

export async function backupTab(body) {
  const uploadResult = h('div', { 'data-testid': 'backup-check-result' });
  const file = h('input', { type: 'file', id: 'backup-file', accept: '.gz,application/gzip', 'data-testid': 'backup-file' });
  const check = h('button', { type: 'button', class: 'secondary', 'data-testid': 'backup-check',
    onClick: async () => {
      const f = file.files[0];
      if (!f) { flash(t('backup.choose_file'), 'error'); return; }
      replace(uploadResult, loading());
      try {
        const contents = await api.upload('/backup/check', new Blob([f], { type: 'application/gzip' }));
        replace(uploadResult, contentsBox(contents),
          h('button', { type: 'button', class: 'danger', 'data-testid': 'backup-restore',
            onClick: () => restoreWith(contents, () => api.upload('/backup/restore', new Blob([f], { type: 'application/gzip' }))) },
          t('backup.restore')));
      } catch (err) {
        replace(uploadResult, h('p', { class: 'notice error', role: 'alert', 'data-testid': 'backup-check-error' }, errorWithFields(err)));
      }
    } }, t('backup.check'));

  const listBox = h('div', {}, loading());
  replace(body,
    section(t('backup.now'),
      h('p', { class: 'hint' }, t('backup.now_hint')),
      h('a', { href: '/api/v1/backup', class: 'button primary', download: '', 'data-testid': 'backup-download' }, t('backup.download'))),
    section(t('backup.from_file'),
      h('p', { class: 'hint' }, t('backup.from_file_hint')),
      h('div', { class: 'field' }, h('label', { for: 'backup-file' }, t('backup.file')), file),
      h('div', { class: 'actions' }, check),
      uploadResult),
    section(t('backup.folder'), listBox));

  try {
    const list = await api.get('/backups');
    replace(listBox,
      h('p', { class: 'hint' }, list.dir ? t('backup.folder_hint', { dir: list.dir }) : t('backup.no_folder')),
      table({
        testid: 'backup-list',
        empty: t('backup.none'),
        rows: list.items,
        columns: [
          { label: t('backup.created_at'), render: (b) => `${formatDateTime(b.written_at)}${b.before_upgrade ? ` (${t('backup.before_upgrade')})` : ''}` },
          { label: t('backup.size'), render: (b) => size(b.size) },
          { label: t('backup.rows'), render: (b) => rowsText(b.tables) },
          { label: '', render: (b) => h('button', { type: 'button', class: 'secondary', 'data-testid': `backup-restore-${b.name}`,
            onClick: () => restoreWith(b, () => api.post(`/backups/${encodeURIComponent(b.name)}/restore`)) }, t('backup.restore')) },
        ],
      }));
  } catch (err) {
    replace(listBox, errorNotice(err));
  }
}
