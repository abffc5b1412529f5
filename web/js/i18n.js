// All UI strings, Bahasa Indonesia (default) and English; error codes from the API in words.
const STORAGE_KEY = 'pustaka.lang';

const id = {
  'app.tagline': 'Perpustakaan sekolah & kampus',
  'nav.main': 'Menu utama', 'nav.skip': 'Langsung ke isi halaman',
  'nav.catalog': 'Katalog', 'nav.desk': 'Meja sirkulasi', 'nav.members': 'Anggota', 'nav.collection': 'Koleksi',
  'nav.loans': 'Pinjaman', 'nav.account': 'Akun saya', 'nav.admin': 'Admin', 'nav.login': 'Masuk', 'nav.logout': 'Keluar',
  'nav.api_docs': 'Dokumentasi API', 'nav.licenses': 'Lisensi', 'nav.not_found': 'Halaman tidak ditemukan', 'nav.forbidden': 'Tidak ada akses',

  'common.loading': 'Memuat…', 'common.empty': 'Belum ada data.', 'common.pagination': 'Halaman',
  'common.prev': 'Sebelumnya', 'common.next': 'Berikutnya', 'common.page_of': 'Halaman {page} dari {pages}',
  'common.yes': 'Ya', 'common.ok': 'OK', 'common.cancel': 'Batal', 'common.save': 'Simpan', 'common.saved': 'Tersimpan.',
  'common.delete': 'Hapus', 'common.deleted': 'Terhapus.', 'common.actions': 'Tindakan', 'common.continue': 'Lanjutkan',

  'roles.admin': 'Admin', 'roles.librarian': 'Pustakawan', 'roles.member': 'Anggota',
  'weekday.mon': 'Senin', 'weekday.tue': 'Selasa', 'weekday.wed': 'Rabu', 'weekday.thu': 'Kamis', 'weekday.fri': 'Jumat', 'weekday.sat': 'Sabtu', 'weekday.sun': 'Minggu',

  'login.title': 'Masuk', 'login.username': 'Nama pengguna', 'login.password': 'Kata sandi', 'login.submit': 'Masuk',
  'login.welcome': 'Selamat datang, {name} ({role}).', 'login.already': 'Anda sudah masuk sebagai {name} ({role}).',
  'login.logged_out': 'Anda sudah keluar.', 'login.expired': 'Sesi Anda berakhir. Silakan masuk lagi.',

  'catalog.title': 'Katalog', 'catalog.search_label': 'Cari judul, pengarang, subjek, atau ISBN', 'catalog.search': 'Cari',
  'catalog.search_hint': 'Contoh: Laskar Pelangi, Pramoedya, sejarah, 9789799731234',
  'catalog.found': '{total} buku ditemukan untuk “{q}”',
  'catalog.found_many': 'Lebih dari {total} buku cocok dengan “{q}”; yang terbaru ditampilkan dulu. Tambahkan kata untuk mempersempit.', 'catalog.newest': 'Koleksi terbaru ({total} buku)',
  'catalog.none': 'Tidak ada buku yang cocok.', 'catalog.back': 'Kembali ke hasil pencarian',

  'book.title': 'Judul', 'book.authors': 'Pengarang', 'book.subjects': 'Subjek', 'book.publisher': 'Penerbit', 'book.year': 'Tahun',
  'book.language': 'Bahasa', 'book.isbn': 'ISBN', 'book.copies': 'Eksemplar', 'book.no_copies': 'Belum ada eksemplar',
  'book.available_of': '{available} dari {total} tersedia', 'book.manage': 'Kelola buku ini di Koleksi',
  'copy.barcode': 'Barcode', 'copy.location': 'Lokasi rak', 'copy.status': 'Status',

  'hold.place': 'Pesan (hold)', 'hold.explain': 'Anda akan diberi tahu di Akun saya saat buku siap diambil.',
  'hold.placed': 'Pesanan dibuat. Posisi antrean: {position}.', 'hold.for_member': 'Pesan untuk nomor kartu anggota',
  'hold.login_first': 'Masuk untuk memesan buku ini', 'hold.position': 'Antrean', 'hold.copy': 'Eksemplar',
  'hold.pickup_by': 'Ambil paling lambat', 'hold.created_at': 'Dipesan', 'hold.cancel': 'Batalkan pesanan',
  'hold.cancel_confirm': 'Batalkan pesanan untuk “{title}”?', 'hold.cancelled': 'Pesanan dibatalkan.',

  'status.copy.available': 'Tersedia', 'status.copy.on_loan': 'Dipinjam', 'status.copy.on_hold_shelf': 'Di rak pesanan',
  'status.copy.lost': 'Hilang', 'status.copy.withdrawn': 'Ditarik',
  'status.hold.waiting': 'Menunggu', 'status.hold.ready': 'Siap diambil', 'status.hold.fulfilled': 'Sudah diambil',
  'status.hold.cancelled': 'Dibatalkan', 'status.hold.expired': 'Kedaluwarsa',
  'status.fine.unpaid': 'Belum dibayar', 'status.fine.paid': 'Lunas', 'status.fine.waived': 'Dihapuskan',
  'status.loan.active': 'Dipinjam', 'status.loan.overdue': 'Terlambat', 'status.loan.returned': 'Dikembalikan',

  'desk.title': 'Meja sirkulasi', 'desk.panel.pinjam': 'Peminjaman', 'desk.panel.kembali': 'Pengembalian', 'desk.panel.perpanjang': 'Perpanjangan',
  'desk.ready': 'Siap memindai.', 'desk.enter': 'Proses (Enter)',
  'desk.scan_label.pinjam': 'Kartu anggota atau barcode buku', 'desk.scan_label.kembali': 'Barcode buku yang dikembalikan',
  'desk.scan_label.perpanjang': 'Barcode buku yang diperpanjang',
  'desk.scan_hint.pinjam': 'Pindai kartu anggota, lalu barcode bukunya. Kartu berikutnya langsung memilih anggota lain; nama juga bisa diketik. Esc: lepas anggota.',
  'desk.scan_hint.kembali': 'Pindai barcode buku. Kartu anggota yang dipindai membuka peminjaman untuk anggota itu.',
  'desk.scan_hint.perpanjang': 'Pindai barcode buku, atau kartu anggota untuk melihat pinjamannya.',
  'desk.pending': '{count} pindaian menunggu diproses…',
  'desk.choose_member': 'Beberapa anggota cocok. Pilih satu:', 'desk.other_member': 'Ganti anggota (Esc)',
  'desk.choose_hint': 'Klik nama, atau ↑/↓ lalu Spasi. Enter tidak memilih.',
  'desk.member_selected': 'Anggota: {name}',
  'desk.line.checked_out': 'Dipinjamkan: {title} [{barcode}] kepada {name}', 'desk.line.returned': 'Dikembalikan: {title} [{barcode}] dari {name}',
  'desk.line.renewed': 'Diperpanjang: {title} [{barcode}] sampai {date}', 'desk.line.member': 'Anggota dipilih: {name} ({card})',
  'desk.line.choose': '{count} anggota cocok dengan “{query}”', 'desk.line.refused': 'Ditolak [{scan}]: {reason}',
  'desk.loans_of': '{count} dari maks. {max}', 'desk.fine_limit': 'batas {limit}', 'desk.no_loans': 'Tidak ada pinjaman aktif.',
  'desk.checked_out': 'Dipinjamkan: {title}', 'desk.returned': 'Dikembalikan: {title}', 'desk.renewed': 'Diperpanjang: {title}',
  'desk.refused': 'Ditolak: {reason}', 'desk.fine_charged': 'Denda keterlambatan (belum dibayar)',
  'desk.put_on_hold_shelf': 'Simpan di rak pesanan untuk {name}',
  'desk.history': 'Riwayat sesi ini', 'desk.history_empty': 'Belum ada transaksi.',

  'reason.fines_owed': 'anggota masih punya denda melebihi batas', 'reason.fines_owed_amount': 'anggota masih punya denda {amount} (batas {limit})',
  'reason.loan_limit': 'anggota sudah mencapai batas jumlah pinjaman', 'reason.loan_limit_count': 'anggota sudah meminjam {count} buku (batas {max})',
  'reason.member_blocked': 'anggota sedang diblokir', 'reason.member_blocked_why': 'anggota diblokir: {reason}',
  'reason.member_expired': 'masa keanggotaan sudah habis', 'reason.member_expired_on': 'masa keanggotaan habis pada {date}',
  'reason.copy_not_available': 'eksemplar ini tidak tersedia untuk dipinjam (sedang dipinjam, hilang, atau ditarik)',
  'reason.copy_on_hold_for_other': 'eksemplar ini disimpan untuk pemesan lain',
  'reason.renew_limit': 'batas perpanjangan sudah tercapai', 'reason.renew_limit_max': 'sudah diperpanjang maksimal {max} kali',
  'reason.loan_overdue': 'pinjaman sudah terlambat; kembalikan dulu dan selesaikan dendanya',
  'reason.held_for_others': 'buku ini sedang dipesan anggota lain, jadi tidak bisa diperpanjang',
  'reason.not_on_loan': 'eksemplar {barcode} tidak sedang dipinjam', 'reason.already_returned': 'buku ini sudah dikembalikan',
  'reason.already_borrowed': 'anggota sedang meminjam buku ini', 'reason.not_found': 'barcode {barcode} tidak dikenal',
  'reason.card_not_found': 'tidak ada anggota dengan kartu atau nama “{card}”',
  'reason.no_member_yet': 'belum ada anggota yang dipilih dan tidak ada anggota bernama “{card}”; pindai kartu anggota dulu',
  'reason.validation': '“{barcode}” bukan barcode yang sah (hanya huruf, angka, - . _)',
  'reason.hold_closed': 'pesanan ini sudah tidak aktif',

  'member.name': 'Nama', 'member.card_number': 'Nomor kartu', 'member.category': 'Kategori', 'member.email': 'Email', 'member.phone': 'Telepon',
  'member.expires_on': 'Berlaku sampai', 'member.expires_hint': 'Kosongkan jika tidak ada batas.', 'member.no_expiry': 'Tanpa batas',
  'member.status': 'Status', 'member.active': 'Aktif', 'member.blocked': 'Diblokir', 'member.expired': 'Kedaluwarsa',
  'member.blocked_reason': 'Alasan blokir', 'member.active_loans': 'Pinjaman aktif', 'member.unpaid_fines': 'Denda belum dibayar',

  'members.title': 'Anggota', 'members.search_label': 'Cari nama, nomor kartu, atau email', 'members.new': 'Anggota baru',
  'members.none': 'Tidak ada anggota yang cocok.', 'members.login_optional': 'Akun masuk untuk anggota (opsional)',
  'members.password_hint': 'Minimal 8 karakter. Isi bersama nama pengguna.', 'members.created': 'Anggota {name} terdaftar dengan nomor kartu {card}.',
  'members.edit': 'Ubah data anggota', 'members.checkout_for': 'Pinjamkan buku', 'members.block': 'Blokir', 'members.unblock': 'Buka blokir',
  'members.block_confirm': 'Blokir {name}? Anggota yang diblokir tidak bisa meminjam.', 'members.blocked_done': 'Anggota diblokir.',
  'members.unblocked': 'Blokir dibuka.', 'members.delete_confirm': 'Hapus anggota {name}? Ini tidak bisa dibatalkan.',
  'members.loans': 'Pinjaman', 'members.holds': 'Pesanan', 'members.fines': 'Denda',
  'members.no_loans': 'Tidak ada pinjaman.', 'members.no_holds': 'Tidak ada pesanan.', 'members.no_fines': 'Tidak ada denda.',

  'loan.title': 'Judul', 'loan.member': 'Anggota', 'loan.loaned_at': 'Dipinjam', 'loan.due_at': 'Kembali paling lambat',
  'loan.new_due': 'Kembali paling lambat (baru)', 'loan.returned_at': 'Dikembalikan', 'loan.renewals': 'Perpanjangan', 'loan.renew': 'Perpanjang',
  'fine.amount': 'Jumlah', 'fine.reason': 'Sebab', 'fine.created_at': 'Tanggal', 'fine.resolved_at': 'Diselesaikan',
  'fine.reason_overdue': 'Terlambat', 'fine.reason_lost': 'Buku hilang', 'fine.reason_damaged': 'Buku rusak',
  'fine.pay': 'Bayar', 'fine.pay_confirm': 'Terima pembayaran denda {amount}?', 'fine.paid': 'Denda lunas.',
  'fine.waive': 'Hapuskan', 'fine.waive_confirm': 'Hapuskan denda {amount}?', 'fine.waive_reason': 'Alasan penghapusan', 'fine.waived': 'Denda dihapuskan.',

  'collection.title': 'Koleksi', 'collection.new': 'Buku baru', 'collection.edit': 'Ubah data buku', 'collection.delete': 'Hapus buku',
  'collection.comma_hint': 'Pisahkan dengan koma.', 'collection.isbn_hint': 'ISBN-10 atau ISBN-13; boleh kosong.',
  'collection.language_hint': 'Kode bahasa, mis. id (Indonesia), en (Inggris).', 'collection.location_hint': 'Mis. Rak A3',
  'collection.created': 'Buku “{title}” ditambahkan. Sekarang tambahkan eksemplarnya.', 'collection.add_copy': 'Tambah eksemplar',
  'collection.copy_added': 'Eksemplar {barcode} ditambahkan.', 'collection.move': 'Ubah lokasi', 'collection.mark_lost': 'Tandai hilang',
  'collection.withdraw': 'Tarik', 'collection.restore': 'Kembalikan ke rak', 'collection.view_in_catalog': 'Lihat di katalog',
  'collection.delete_confirm': 'Hapus buku “{title}” beserta eksemplarnya?', 'collection.delete_copy_confirm': 'Hapus eksemplar {barcode}?',

  'loans.title': 'Pinjaman & pesanan', 'loans.count': '{total} data',
  'loans.tab.aktif': 'Pinjaman aktif', 'loans.tab.terlambat': 'Terlambat', 'loans.tab.menunggu': 'Pesanan menunggu', 'loans.tab.siap': 'Pesanan siap diambil',

  'account.title': 'Akun saya', 'account.loans': 'Pinjaman saya', 'account.holds': 'Pesanan saya', 'account.fines': 'Denda saya',
  'account.holds_hint': 'Pesanan berstatus “Siap diambil” menunggu Anda di meja sirkulasi sampai tanggal yang tertulis.',
  'account.renewed': '“{title}” diperpanjang sampai {date}.', 'account.role': 'Peran', 'account.password': 'Ganti kata sandi',
  'account.current_password': 'Kata sandi sekarang', 'account.new_password': 'Kata sandi baru', 'account.change_password': 'Ganti kata sandi',
  'account.password_changed': 'Kata sandi diganti. Sesi di perangkat lain sudah dikeluarkan.',

  'admin.title': 'Admin', 'admin.tab.kategori': 'Aturan pinjam', 'admin.tab.libur': 'Hari libur', 'admin.tab.pengguna': 'Pengguna', 'admin.tab.audit': 'Log audit',
  'admin.categories_hint': 'Aturan peminjaman per kategori anggota. Uang dalam rupiah; 0 pada “Denda maks. per pinjaman” berarti tanpa batas.',
  'admin.new_category': 'Kategori baru', 'admin.add_category': 'Tambah kategori', 'admin.delete_category_confirm': 'Hapus kategori {name}?',
  'category.seed.student': 'Siswa / Mahasiswa', 'category.seed.staff': 'Guru / Staf', 'category.seed.public': 'Umum',
  'category.code': 'Kode', 'category.name': 'Nama', 'category.max_loans': 'Maks. pinjaman', 'category.loan_days': 'Lama pinjam (hari)',
  'category.max_renewals': 'Maks. perpanjangan', 'category.fine_per_day': 'Denda per hari (Rp)', 'category.max_fine_per_loan': 'Denda maks. per pinjaman (Rp)',
  'category.fine_limit': 'Batas denda untuk meminjam (Rp)', 'category.hold_pickup_days': 'Batas ambil pesanan (hari)',
  'closed.date': 'Tanggal', 'closed.reason': 'Keterangan', 'closed.add': 'Tambah hari libur', 'closed.none': 'Belum ada hari libur.',
  'closed.weekly': 'Tutup setiap: {days}.', 'closed.weekly_none': 'Buka setiap hari dalam seminggu.',
  'closed.hint': 'Tanggal kembali tidak pernah jatuh pada hari libur.', 'closed.delete_confirm': 'Hapus hari libur {date}?',
  'users.new': 'Pengguna baru', 'users.create': 'Buat pengguna', 'users.created': 'Pengguna {name} dibuat.', 'users.member_id': 'ID anggota',
  'users.member_id_hint': 'Hanya untuk peran Anggota.', 'users.created_at': 'Dibuat', 'users.you': '(Anda)', 'users.delete_confirm': 'Hapus pengguna {name}?',
  'audit.at': 'Waktu', 'audit.actor': 'Oleh', 'audit.action': 'Tindakan', 'audit.entity': 'Data', 'audit.detail': 'Keterangan', 'audit.event': 'Kejadian',
  'audit.event.loan.create': 'Buku “{title}” ({barcode}) dipinjam oleh {member}', 'audit.event.loan.renew': 'Pinjaman “{title}” ({barcode}) oleh {member} diperpanjang',
  'audit.event.loan.return': 'Buku “{title}” ({barcode}) dikembalikan oleh {member}',
  'audit.event.fine.create': 'Denda {amount} dikenakan kepada {member} untuk “{title}”', 'audit.event.fine.pay': 'Denda {amount} dari {member} dibayar',
  'audit.event.fine.waive': 'Denda {amount} untuk {member} dihapuskan',
  'audit.event.hold.create': '{member} memesan “{title}”', 'audit.event.hold.cancel': 'Pesanan “{title}” oleh {member} dibatalkan',
  'audit.event.hold.expire': 'Pesanan “{title}” oleh {member} kedaluwarsa karena tidak diambil',
  'audit.event.book.create': 'Buku “{title}” ditambahkan ke katalog', 'audit.event.book.update': 'Data buku “{title}” diubah ({detail})',
  'audit.event.book.delete': 'Buku “{detail}” dihapus dari katalog',
  'audit.event.copy.create': 'Eksemplar {barcode} dari “{title}” ditambahkan', 'audit.event.copy.update': 'Eksemplar {barcode} dari “{title}” diubah ({detail})',
  'audit.event.copy.delete': 'Eksemplar {detail} dihapus',
  'audit.event.member.create': 'Anggota {member} didaftarkan', 'audit.event.member.update': 'Data anggota {member} diubah ({detail})',
  'audit.event.member.delete': 'Anggota {detail} dihapus',
  'audit.event.category.create': 'Kategori anggota “{detail}” dibuat', 'audit.event.category.update': 'Aturan pinjam kategori “{detail}” diubah',
  'audit.event.category.delete': 'Kategori anggota “{detail}” dihapus',
  'audit.event.closed_day.create': 'Hari libur {detail} ditambahkan', 'audit.event.closed_day.delete': 'Hari libur {detail} dihapus',
  'audit.event.user.create': 'Pengguna {detail} dibuat', 'audit.event.user.delete': 'Pengguna {detail} dihapus',
  'audit.event.user.password': '{actor} mengganti kata sandinya',
  'audit.event.other': 'Tindakan lain ({action}) pada data {entity} #{id}: {detail}',
  'stats.books': 'Judul buku', 'stats.copies': 'Eksemplar', 'stats.members': 'Anggota', 'stats.active_loans': 'Sedang dipinjam',
  'stats.overdue_loans': 'Terlambat', 'stats.unpaid_fines': 'Denda belum dibayar',

  'err.network': 'Server tidak bisa dihubungi. Periksa jaringan lalu coba lagi.',
  'err.bad_request': 'Permintaan tidak bisa diproses. Muat ulang halaman lalu coba lagi.',
  'err.unauthenticated': 'Anda perlu masuk terlebih dahulu.', 'err.invalid_credentials': 'Nama pengguna atau kata sandi salah.',
  'err.forbidden': 'Anda tidak punya hak untuk tindakan ini.', 'err.not_found': 'Data tidak ditemukan. Mungkin sudah dihapus.',
  'err.validation': 'Ada isian yang belum benar. Periksa kolom yang ditandai.',
  'err.conflict': 'Data dengan nilai yang sama sudah ada (ISBN, barcode, atau nama pengguna sudah dipakai).',
  'err.conflict_field': 'Nilai ini sudah dipakai. Gunakan yang lain.',
  'err.copy_not_available': 'Eksemplar ini tidak tersedia untuk dipinjam.', 'err.copy_on_hold_for_other': 'Eksemplar ini disimpan untuk pemesan lain.',
  'err.member_blocked': 'Anggota sedang diblokir.', 'err.member_expired': 'Masa keanggotaan sudah habis.',
  'err.loan_limit': 'Anggota sudah mencapai batas jumlah pinjaman.', 'err.fines_owed': 'Anggota masih punya denda melebihi batas.',
  'err.renew_limit': 'Batas perpanjangan sudah tercapai.', 'err.loan_overdue': 'Pinjaman yang terlambat tidak bisa diperpanjang.',
  'err.held_for_others': 'Buku ini sedang dipesan anggota lain, jadi tidak bisa diperpanjang.',
  'err.not_on_loan': 'Eksemplar ini tidak sedang dipinjam.', 'err.already_returned': 'Buku ini sudah dikembalikan.',
  'err.hold_exists': 'Anda sudah memesan buku ini.', 'err.copy_available': 'Ada eksemplar yang tersedia di rak, jadi tidak perlu dipesan: silakan ambil langsung.',
  'err.already_borrowed': 'Anggota sedang meminjam buku ini.',
  'err.has_loans': 'Tidak bisa dihapus karena masih ada (atau pernah ada) pinjaman atau denda yang terkait.',
  'err.fine_resolved': 'Denda ini sudah lunas atau sudah dihapuskan.',
  'err.category_in_use': 'Kategori ini masih dipakai anggota. Pindahkan anggotanya ke kategori lain dulu.',
  'err.last_admin': 'Akun admin terakhir tidak bisa dihapus.',
  'err.timeout': 'Server terlalu lama menjawab. Coba lagi.', 'err.unavailable': 'Layanan sedang tidak tersedia. Coba lagi sebentar lagi.',
  'err.busy': 'Terlalu banyak yang sedang masuk. Coba lagi sebentar lagi.',
  'err.too_many_attempts': 'Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {minutes} menit.',
  'err.too_many_attempts_soon': 'Terlalu banyak percobaan masuk yang gagal. Coba lagi sebentar lagi.',
  'err.hold_closed': 'Pesanan ini sudah tidak aktif (sudah diambil, dibatalkan, atau kedaluwarsa).',
  'err.draining': 'Server ini sedang dimatikan. Coba lagi; permintaan akan dilayani server lain.',
  'err.error': 'Permintaan gagal. Coba lagi.',
  'err.too_large': 'Data yang dikirim terlalu besar.', 'err.unsupported_media_type': 'Format data tidak didukung.',
  'err.method_not_allowed': 'Tindakan ini tidak didukung.',
  'err.internal': 'Terjadi kesalahan di server. Coba lagi; jika terus terjadi, laporkan kode {request_id}.',
  'err.unknown': 'Terjadi kesalahan yang tidak terduga. Coba lagi.',

  'field.required': 'Wajib diisi.', 'field.invalid': 'Isian tidak valid.', 'field.invalid_isbn': 'ISBN tidak valid (periksa angka dan digit kontrolnya).',
  'field.too_long': 'Terlalu panjang.', 'field.too_short': 'Terlalu pendek.', 'field.invalid_email': 'Alamat email tidak valid.',
  'field.invalid_date': 'Tanggal tidak valid.', 'field.out_of_range': 'Angka di luar batas yang diizinkan.',
  'field.unknown_category': 'Kategori tidak dikenal.', 'field.invalid_role': 'Peran tidak dikenal.', 'field.invalid_status': 'Status tidak dikenal.',
  'field.weak_password': 'Kata sandi terlalu lemah (minimal 8 karakter).', 'field.invalid_phone': 'Nomor telepon tidak valid.',
  'field.invalid_barcode': 'Barcode tidak valid.', 'field.invalid_language': 'Kode bahasa tidak valid (mis. id, en).',
  'field.empty': 'Tidak boleh kosong.', 'field.not_found': 'Tidak ditemukan.', 'field.negative': 'Tidak boleh negatif.',
  'field.invalid_code': 'Hanya huruf kecil, angka, - dan _.', 'field.password_requires_username': 'Isi nama pengguna dan kata sandi bersama-sama.',
  'field.invalid_format': 'Formatnya tidak sesuai.', 'field.invalid_value': 'Nilai ini tidak diizinkan.',
  'field.wrong_password': 'Kata sandi sekarang salah.', 'field.not_allowed': 'Tidak boleh diisi untuk pilihan ini.', 'field.too_large': 'Terlalu besar.',
  'field.in_past': 'Tanggal tidak boleh di masa lalu.', 'field.invalid_year': 'Tahun tidak valid.',
  'field.invalid_characters': 'Tidak boleh berisi karakter kontrol (mis. baris baru) atau karakter pengatur arah teks.',

  'label.name': 'Nama', 'label.title': 'Judul', 'label.authors': 'Pengarang', 'label.isbn': 'ISBN', 'label.barcode': 'Barcode',
  'label.card_number': 'Nomor kartu', 'label.username': 'Nama pengguna', 'label.password': 'Kata sandi', 'label.reason': 'Alasan',
  'label.book_id': 'Buku', 'label.member_id': 'ID anggota', 'label.date': 'Tanggal', 'label.category': 'Kategori', 'label.location': 'Lokasi rak',
};

const en = {
  'app.tagline': 'School & campus library',
  'nav.main': 'Main menu', 'nav.skip': 'Skip to content',
  'nav.catalog': 'Catalogue', 'nav.desk': 'Circulation desk', 'nav.members': 'Members', 'nav.collection': 'Collection',
  'nav.loans': 'Loans', 'nav.account': 'My account', 'nav.admin': 'Admin', 'nav.login': 'Log in', 'nav.logout': 'Log out',
  'nav.api_docs': 'API documentation', 'nav.licenses': 'Licences', 'nav.not_found': 'Page not found', 'nav.forbidden': 'No access',

  'common.loading': 'Loading…', 'common.empty': 'Nothing here yet.', 'common.pagination': 'Pages',
  'common.prev': 'Previous', 'common.next': 'Next', 'common.page_of': 'Page {page} of {pages}',
  'common.yes': 'Yes', 'common.ok': 'OK', 'common.cancel': 'Cancel', 'common.save': 'Save', 'common.saved': 'Saved.',
  'common.delete': 'Delete', 'common.deleted': 'Deleted.', 'common.actions': 'Actions', 'common.continue': 'Continue',

  'roles.admin': 'Admin', 'roles.librarian': 'Librarian', 'roles.member': 'Member',
  'weekday.mon': 'Monday', 'weekday.tue': 'Tuesday', 'weekday.wed': 'Wednesday', 'weekday.thu': 'Thursday', 'weekday.fri': 'Friday', 'weekday.sat': 'Saturday', 'weekday.sun': 'Sunday',

  'login.title': 'Log in', 'login.username': 'Username', 'login.password': 'Password', 'login.submit': 'Log in',
  'login.welcome': 'Welcome, {name} ({role}).', 'login.already': 'You are logged in as {name} ({role}).',
  'login.logged_out': 'You have logged out.', 'login.expired': 'Your session has ended. Please log in again.',

  'catalog.title': 'Catalogue', 'catalog.search_label': 'Search title, author, subject or ISBN', 'catalog.search': 'Search',
  'catalog.search_hint': 'For example: Laskar Pelangi, Pramoedya, history, 9789799731234',
  'catalog.found': '{total} books found for “{q}”',
  'catalog.found_many': 'More than {total} books match “{q}”; the newest come first. Add a word to narrow it down.', 'catalog.newest': 'Newest additions ({total} books)',
  'catalog.none': 'No matching books.', 'catalog.back': 'Back to search results',

  'book.title': 'Title', 'book.authors': 'Authors', 'book.subjects': 'Subjects', 'book.publisher': 'Publisher', 'book.year': 'Year',
  'book.language': 'Language', 'book.isbn': 'ISBN', 'book.copies': 'Copies', 'book.no_copies': 'No copies yet',
  'book.available_of': '{available} of {total} available', 'book.manage': 'Manage this book in Collection',
  'copy.barcode': 'Barcode', 'copy.location': 'Shelf location', 'copy.status': 'Status',

  'hold.place': 'Place hold', 'hold.explain': 'My account will show when the book is ready to collect.',
  'hold.placed': 'Hold placed. Position in queue: {position}.', 'hold.for_member': 'Place hold for card number',
  'hold.login_first': 'Log in to place a hold on this book', 'hold.position': 'Queue', 'hold.copy': 'Copy',
  'hold.pickup_by': 'Collect by', 'hold.created_at': 'Placed', 'hold.cancel': 'Cancel hold',
  'hold.cancel_confirm': 'Cancel the hold on “{title}”?', 'hold.cancelled': 'Hold cancelled.',

  'status.copy.available': 'Available', 'status.copy.on_loan': 'On loan', 'status.copy.on_hold_shelf': 'On hold shelf',
  'status.copy.lost': 'Lost', 'status.copy.withdrawn': 'Withdrawn',
  'status.hold.waiting': 'Waiting', 'status.hold.ready': 'Ready to collect', 'status.hold.fulfilled': 'Collected',
  'status.hold.cancelled': 'Cancelled', 'status.hold.expired': 'Expired',
  'status.fine.unpaid': 'Unpaid', 'status.fine.paid': 'Paid', 'status.fine.waived': 'Waived',
  'status.loan.active': 'On loan', 'status.loan.overdue': 'Overdue', 'status.loan.returned': 'Returned',

  'desk.title': 'Circulation desk', 'desk.panel.pinjam': 'Checkout', 'desk.panel.kembali': 'Return', 'desk.panel.perpanjang': 'Renew',
  'desk.ready': 'Ready to scan.', 'desk.enter': 'Go (Enter)',
  'desk.scan_label.pinjam': 'Member card or book barcode', 'desk.scan_label.kembali': 'Barcode of the returned book',
  'desk.scan_label.perpanjang': 'Barcode of the book to renew',
  'desk.scan_hint.pinjam': 'Scan the member’s card, then the books. The next card selects another member at once; a name can be typed too. Esc: let go of the member.',
  'desk.scan_hint.kembali': 'Scan the book’s barcode. A member card scanned here opens a checkout for that member.',
  'desk.scan_hint.perpanjang': 'Scan the book’s barcode, or a member card to see their loans.',
  'desk.pending': '{count} scans waiting…',
  'desk.choose_member': 'Several members match. Choose one:', 'desk.other_member': 'Another member (Esc)',
  'desk.choose_hint': 'Click a name, or ↑/↓ then Space. Enter does not choose.',
  'desk.member_selected': 'Member: {name}',
  'desk.line.checked_out': 'Checked out: {title} [{barcode}] to {name}', 'desk.line.returned': 'Returned: {title} [{barcode}] from {name}',
  'desk.line.renewed': 'Renewed: {title} [{barcode}] until {date}', 'desk.line.member': 'Member selected: {name} ({card})',
  'desk.line.choose': '{count} members match “{query}”', 'desk.line.refused': 'Refused [{scan}]: {reason}',
  'desk.loans_of': '{count} of max. {max}', 'desk.fine_limit': 'limit {limit}', 'desk.no_loans': 'No active loans.',
  'desk.checked_out': 'Checked out: {title}', 'desk.returned': 'Returned: {title}', 'desk.renewed': 'Renewed: {title}',
  'desk.refused': 'Refused: {reason}', 'desk.fine_charged': 'Overdue fine (unpaid)',
  'desk.put_on_hold_shelf': 'Put on the hold shelf for {name}',
  'desk.history': 'This session', 'desk.history_empty': 'No transactions yet.',

  'reason.fines_owed': 'the member owes fines above the limit', 'reason.fines_owed_amount': 'the member still owes {amount} in fines (limit {limit})',
  'reason.loan_limit': 'the member has reached the loan limit', 'reason.loan_limit_count': 'the member already has {count} books (limit {max})',
  'reason.member_blocked': 'the member is blocked', 'reason.member_blocked_why': 'the member is blocked: {reason}',
  'reason.member_expired': 'the membership has expired', 'reason.member_expired_on': 'the membership expired on {date}',
  'reason.copy_not_available': 'this copy cannot be lent (on loan, lost or withdrawn)',
  'reason.copy_on_hold_for_other': 'this copy is held for another member',
  'reason.renew_limit': 'the renewal limit has been reached', 'reason.renew_limit_max': 'already renewed the maximum of {max} times',
  'reason.loan_overdue': 'the loan is overdue; return it and settle the fine first',
  'reason.held_for_others': 'another member has a hold on this book, so it cannot be renewed',
  'reason.not_on_loan': 'copy {barcode} is not on loan', 'reason.already_returned': 'this book has already been returned',
  'reason.already_borrowed': 'the member already has this book on loan', 'reason.not_found': 'barcode {barcode} is unknown',
  'reason.card_not_found': 'no member with card or name “{card}”',
  'reason.no_member_yet': 'no member is selected and no member is called “{card}”; scan a member card first',
  'reason.validation': '“{barcode}” is not a valid barcode (letters, digits, - . _ only)',
  'reason.hold_closed': 'this hold is no longer open',

  'member.name': 'Name', 'member.card_number': 'Card number', 'member.category': 'Category', 'member.email': 'Email', 'member.phone': 'Phone',
  'member.expires_on': 'Valid until', 'member.expires_hint': 'Leave empty for no expiry.', 'member.no_expiry': 'No expiry',
  'member.status': 'Status', 'member.active': 'Active', 'member.blocked': 'Blocked', 'member.expired': 'Expired',
  'member.blocked_reason': 'Reason for block', 'member.active_loans': 'Active loans', 'member.unpaid_fines': 'Unpaid fines',

  'members.title': 'Members', 'members.search_label': 'Search name, card number or email', 'members.new': 'New member',
  'members.none': 'No matching members.', 'members.login_optional': 'Login for the member (optional)',
  'members.password_hint': 'At least 8 characters. Fill in together with the username.', 'members.created': 'Member {name} registered with card number {card}.',
  'members.edit': 'Edit member details', 'members.checkout_for': 'Check out books', 'members.block': 'Block', 'members.unblock': 'Unblock',
  'members.block_confirm': 'Block {name}? Blocked members cannot borrow.', 'members.blocked_done': 'Member blocked.',
  'members.unblocked': 'Member unblocked.', 'members.delete_confirm': 'Delete member {name}? This cannot be undone.',
  'members.loans': 'Loans', 'members.holds': 'Holds', 'members.fines': 'Fines',
  'members.no_loans': 'No loans.', 'members.no_holds': 'No holds.', 'members.no_fines': 'No fines.',

  'loan.title': 'Title', 'loan.member': 'Member', 'loan.loaned_at': 'Borrowed', 'loan.due_at': 'Due',
  'loan.new_due': 'New due date', 'loan.returned_at': 'Returned', 'loan.renewals': 'Renewals', 'loan.renew': 'Renew',
  'fine.amount': 'Amount', 'fine.reason': 'Reason', 'fine.created_at': 'Date', 'fine.resolved_at': 'Settled',
  'fine.reason_overdue': 'Overdue', 'fine.reason_lost': 'Lost book', 'fine.reason_damaged': 'Damaged book',
  'fine.pay': 'Pay', 'fine.pay_confirm': 'Take payment of {amount}?', 'fine.paid': 'Fine paid.',
  'fine.waive': 'Waive', 'fine.waive_confirm': 'Waive the fine of {amount}?', 'fine.waive_reason': 'Reason for waiving', 'fine.waived': 'Fine waived.',

  'collection.title': 'Collection', 'collection.new': 'New book', 'collection.edit': 'Edit book details', 'collection.delete': 'Delete book',
  'collection.comma_hint': 'Separate with commas.', 'collection.isbn_hint': 'ISBN-10 or ISBN-13; may be empty.',
  'collection.language_hint': 'Language code, e.g. id (Indonesian), en (English).', 'collection.location_hint': 'E.g. Rak A3',
  'collection.created': 'Book “{title}” added. Now add its copies.', 'collection.add_copy': 'Add copy',
  'collection.copy_added': 'Copy {barcode} added.', 'collection.move': 'Change location', 'collection.mark_lost': 'Mark lost',
  'collection.withdraw': 'Withdraw', 'collection.restore': 'Back on shelf', 'collection.view_in_catalog': 'View in catalogue',
  'collection.delete_confirm': 'Delete the book “{title}” and its copies?', 'collection.delete_copy_confirm': 'Delete copy {barcode}?',

  'loans.title': 'Loans & holds', 'loans.count': '{total} records',
  'loans.tab.aktif': 'Active loans', 'loans.tab.terlambat': 'Overdue', 'loans.tab.menunggu': 'Holds waiting', 'loans.tab.siap': 'Holds ready',

  'account.title': 'My account', 'account.loans': 'My loans', 'account.holds': 'My holds', 'account.fines': 'My fines',
  'account.holds_hint': 'Holds marked “Ready to collect” wait for you at the circulation desk until the date shown.',
  'account.renewed': '“{title}” renewed until {date}.', 'account.role': 'Role', 'account.password': 'Change password',
  'account.current_password': 'Current password', 'account.new_password': 'New password', 'account.change_password': 'Change password',
  'account.password_changed': 'Password changed. Sessions on other devices have been logged out.',

  'admin.title': 'Admin', 'admin.tab.kategori': 'Loan rules', 'admin.tab.libur': 'Closed days', 'admin.tab.pengguna': 'Users', 'admin.tab.audit': 'Audit log',
  'admin.categories_hint': 'Loan rules per member category. Money in rupiah; 0 in “Max. fine per loan” means no ceiling.',
  'admin.new_category': 'New category', 'admin.add_category': 'Add category', 'admin.delete_category_confirm': 'Delete category {name}?',
  'category.seed.student': 'Student', 'category.seed.staff': 'Teacher/Staff', 'category.seed.public': 'Public',
  'category.code': 'Code', 'category.name': 'Name', 'category.max_loans': 'Max. loans', 'category.loan_days': 'Loan period (days)',
  'category.max_renewals': 'Max. renewals', 'category.fine_per_day': 'Fine per day (Rp)', 'category.max_fine_per_loan': 'Max. fine per loan (Rp)',
  'category.fine_limit': 'Fine limit for borrowing (Rp)', 'category.hold_pickup_days': 'Hold pickup period (days)',
  'closed.date': 'Date', 'closed.reason': 'Description', 'closed.add': 'Add closed day', 'closed.none': 'No closed days yet.',
  'closed.weekly': 'Closed every: {days}.', 'closed.weekly_none': 'Open every day of the week.',
  'closed.hint': 'A due date never falls on a closed day.', 'closed.delete_confirm': 'Delete the closed day {date}?',
  'users.new': 'New user', 'users.create': 'Create user', 'users.created': 'User {name} created.', 'users.member_id': 'Member ID',
  'users.member_id_hint': 'Only for the Member role.', 'users.created_at': 'Created', 'users.you': '(you)', 'users.delete_confirm': 'Delete user {name}?',
  'audit.at': 'Time', 'audit.actor': 'By', 'audit.action': 'Action', 'audit.entity': 'Record', 'audit.detail': 'Detail', 'audit.event': 'What happened',
  'audit.event.loan.create': '“{title}” ({barcode}) lent to {member}', 'audit.event.loan.renew': 'Loan of “{title}” ({barcode}) to {member} renewed',
  'audit.event.loan.return': '“{title}” ({barcode}) returned by {member}',
  'audit.event.fine.create': 'Fine of {amount} charged to {member} for “{title}”', 'audit.event.fine.pay': 'Fine of {amount} from {member} paid',
  'audit.event.fine.waive': 'Fine of {amount} for {member} waived',
  'audit.event.hold.create': '{member} placed a hold on “{title}”', 'audit.event.hold.cancel': 'Hold on “{title}” by {member} cancelled',
  'audit.event.hold.expire': 'Hold on “{title}” by {member} expired uncollected',
  'audit.event.book.create': 'Book “{title}” added to the catalogue', 'audit.event.book.update': 'Book “{title}” edited ({detail})',
  'audit.event.book.delete': 'Book “{detail}” deleted from the catalogue',
  'audit.event.copy.create': 'Copy {barcode} of “{title}” added', 'audit.event.copy.update': 'Copy {barcode} of “{title}” changed ({detail})',
  'audit.event.copy.delete': 'Copy {detail} deleted',
  'audit.event.member.create': 'Member {member} registered', 'audit.event.member.update': 'Member {member} edited ({detail})',
  'audit.event.member.delete': 'Member {detail} deleted',
  'audit.event.category.create': 'Member category “{detail}” created', 'audit.event.category.update': 'Loan rules of category “{detail}” changed',
  'audit.event.category.delete': 'Member category “{detail}” deleted',
  'audit.event.closed_day.create': 'Closed day {detail} added', 'audit.event.closed_day.delete': 'Closed day {detail} removed',
  'audit.event.user.create': 'User {detail} created', 'audit.event.user.delete': 'User {detail} deleted',
  'audit.event.user.password': '{actor} changed their password',
  'audit.event.other': 'Other change ({action}) to {entity} #{id}: {detail}',
  'stats.books': 'Titles', 'stats.copies': 'Copies', 'stats.members': 'Members', 'stats.active_loans': 'On loan',
  'stats.overdue_loans': 'Overdue', 'stats.unpaid_fines': 'Unpaid fines',

  'err.network': 'The server cannot be reached. Check the network and try again.',
  'err.bad_request': 'The request could not be processed. Reload the page and try again.',
  'err.unauthenticated': 'Please log in first.', 'err.invalid_credentials': 'Wrong username or password.',
  'err.forbidden': 'You are not allowed to do this.', 'err.not_found': 'Not found. It may have been deleted.',
  'err.validation': 'Some fields are not right yet. Check the marked fields.',
  'err.conflict': 'A record with the same value already exists (ISBN, barcode or username already in use).',
  'err.conflict_field': 'This value is already in use. Choose another.',
  'err.copy_not_available': 'This copy is not available for loan.', 'err.copy_on_hold_for_other': 'This copy is held for another member.',
  'err.member_blocked': 'The member is blocked.', 'err.member_expired': 'The membership has expired.',
  'err.loan_limit': 'The member has reached the loan limit.', 'err.fines_owed': 'The member owes fines above the limit.',
  'err.renew_limit': 'The renewal limit has been reached.', 'err.loan_overdue': 'An overdue loan cannot be renewed.',
  'err.held_for_others': 'Another member has a hold on this book, so it cannot be renewed.',
  'err.not_on_loan': 'This copy is not on loan.', 'err.already_returned': 'This book has already been returned.',
  'err.hold_exists': 'You already have a hold on this book.', 'err.copy_available': 'A copy is on the shelf, so no hold is needed: just take it.',
  'err.already_borrowed': 'The member already has this book on loan.',
  'err.has_loans': 'Cannot delete: there are (or were) loans or fines attached.',
  'err.fine_resolved': 'This fine has already been paid or waived.',
  'err.category_in_use': 'Members are still in this category. Move them to another category first.',
  'err.last_admin': 'The last admin account cannot be deleted.',
  'err.timeout': 'The server took too long to answer. Try again.', 'err.unavailable': 'The service is unavailable right now. Try again shortly.',
  'err.busy': 'Too many people are logging in at once. Try again in a moment.',
  'err.too_many_attempts': 'Too many failed logins. Try again in {minutes} min.',
  'err.too_many_attempts_soon': 'Too many failed logins. Try again in a moment.',
  'err.hold_closed': 'This hold is no longer open (collected, cancelled or expired).',
  'err.draining': 'This server is shutting down. Try again; another server will answer.',
  'err.error': 'The request failed. Try again.',
  'err.too_large': 'The data sent is too large.', 'err.unsupported_media_type': 'Unsupported data format.',
  'err.method_not_allowed': 'This action is not supported.',
  'err.internal': 'Something went wrong on the server. Try again; if it keeps happening, report code {request_id}.',
  'err.unknown': 'Something unexpected went wrong. Try again.',

  'field.required': 'Required.', 'field.invalid': 'Not valid.', 'field.invalid_isbn': 'Not a valid ISBN (check the digits and the check digit).',
  'field.too_long': 'Too long.', 'field.too_short': 'Too short.', 'field.invalid_email': 'Not a valid email address.',
  'field.invalid_date': 'Not a valid date.', 'field.out_of_range': 'Number out of the allowed range.',
  'field.unknown_category': 'Unknown category.', 'field.invalid_role': 'Unknown role.', 'field.invalid_status': 'Unknown status.',
  'field.weak_password': 'Password too weak (at least 8 characters).', 'field.invalid_phone': 'Not a valid phone number.',
  'field.invalid_barcode': 'Not a valid barcode.', 'field.invalid_language': 'Not a valid language code (e.g. id, en).',
  'field.empty': 'Must not be empty.', 'field.not_found': 'Not found.', 'field.negative': 'Must not be negative.',
  'field.invalid_code': 'Only lower-case letters, digits, - and _.', 'field.password_requires_username': 'Fill in username and password together.',
  'field.invalid_format': 'Wrong format.', 'field.invalid_value': 'This value is not allowed.',
  'field.wrong_password': 'The current password is wrong.', 'field.not_allowed': 'Must be empty for this choice.', 'field.too_large': 'Too large.',
  'field.in_past': 'The date must not be in the past.', 'field.invalid_year': 'Not a valid year.',
  'field.invalid_characters': 'Must not contain control characters (such as a line break) or text-direction controls.',

  'label.name': 'Name', 'label.title': 'Title', 'label.authors': 'Authors', 'label.isbn': 'ISBN', 'label.barcode': 'Barcode',
  'label.card_number': 'Card number', 'label.username': 'Username', 'label.password': 'Password', 'label.reason': 'Reason',
  'label.book_id': 'Book', 'label.member_id': 'Member ID', 'label.date': 'Date', 'label.category': 'Category', 'label.location': 'Shelf location',
};

const dictionaries = { id, en };
const listeners = new Set();

function storedLang() {
  try { return localStorage.getItem(STORAGE_KEY); } catch { return null; }
}

let lang = dictionaries[storedLang()] ? storedLang() : 'id';

export const getLang = () => lang;

export function setLang(next) {
  if (!dictionaries[next] || next === lang) return;
  lang = next;
  try { localStorage.setItem(STORAGE_KEY, next); } catch { /* private mode: not remembered */ }
  listeners.forEach((fn) => fn(lang));
}

export function onLangChange(fn) {
  listeners.add(fn);
}

/** Translate `key`, filling {placeholders} from params; `fallback` when the key is unknown. */
export function t(key, params = {}, fallback) {
  let s = dictionaries[lang][key] ?? dictionaries.id[key];
  if (s === undefined) return fallback !== undefined ? fallback : key;
  for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export const roleName = (role) => t(`roles.${role}`, {}, role);
export const weekdayName = (day) => t(`weekday.${day}`, {}, day);
/** A member category for display: its name when the Category is known (staff), else the seeded name or the code. */
export const categoryLabel = (code, category) => (category ? category.name : t(`category.seed.${code}`, {}, code));

/** An ApiError (or anything thrown) as a sentence for the librarian. Never raw JSON. */
export function errorText(err) {
  if (!err || err.name !== 'ApiError') return t('err.unknown');
  if (err.code === 'internal') return t('err.internal', { request_id: err.requestId || '—' });
  if (err.code === 'too_many_attempts') {
    // Retry-After is in seconds; say whole minutes, rounded up, so the wait is never too short.
    return err.retryAfter > 0 ? t('err.too_many_attempts', { minutes: Math.ceil(err.retryAfter / 60) }) : t('err.too_many_attempts_soon');
  }
  const known = t(`err.${err.code}`, {}, null);
  if (known) return known;
  // An unknown code: the English detail is better than nothing in English; otherwise a generic line.
  return lang === 'en' && err.detail ? err.detail : t('err.unknown');
}

/** One entry of a 422 `errors` array as a short sentence. */
export function fieldErrorText(e) {
  return t(`field.${e.code}`, {}, null) ?? (lang === 'en' && e.message ? e.message : t('field.invalid'));
}
