"""The admin's import from the page, as a school moving in from a spreadsheet does it: a
semicolon CSV saved by Excel (Windows-1252, Indonesian headers) with one bad row → the check
shows what would be stored and the row that cannot come in → import → the books are in the
catalogue; a second import of the same file adds nothing. Each run is a job on the server that
the page follows with a progress bar; a big file shows it, and a reload finds the job again."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from test_desk import log_in
from test_reports import keep

CSV = (
    "Judul;Pengarang;ISBN;Tahun;Eksemplar\r\n"
    "Laskar Pelangi;Andrea Hirata;979-3062-79-7;2005;LP-001\r\n"
    "Ronggeng Dukuh Paruk;Ahmad Tohari;;1982;RD-001\r\n"
    "Buku Rusak;Penulis Entah;123;tahun lalu;BR-001\r\n"
).encode("cp1252")


def upload(page: Page, data: bytes = CSV, name: str = "koleksi.csv", check: bool = True) -> None:
    """Chooses the file and sends it: the mapping step shows its columns; with `check`, they are
    taken as matched and the dry run starts."""
    page.get_by_test_id("import-form").locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_test_id("import-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("import-mapping")).to_be_visible()
    if check:
        page.get_by_test_id("map-check").click()


def test_import_a_spreadsheet_from_the_page(page: Page, server):
    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/admin/impor")
    upload(page)
    result = page.get_by_test_id("import-result")
    # The check stores nothing: it shows what would come in and names the bad row by the line
    # a spreadsheet shows it on (the file has CRLF line ends, as Excel writes them).
    expect(result).to_contain_text("Uji coba: 3 baris dibaca")
    expect(result).to_contain_text("Buku: 2 baru, 0 sudah ada")
    expect(result.get_by_test_id("import-preview")).to_contain_text("Ronggeng Dukuh Paruk")
    bad = result.get_by_test_id("import-errors").locator("tbody tr")
    expect(bad).to_have_count(1)
    expect(bad.locator("td").first).to_have_text("4")
    expect(bad).to_contain_text("tahun lalu")
    keep(page, "import-check.png")
    assert page.request.get("/api/v1/books?q=Laskar").json()["total"] == 0, "the check stored a book"

    page.goto("/#/admin/impor")
    upload(page)
    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_test_id("import-result")).to_contain_text("Selesai: 3 baris dibaca")
    expect(page.get_by_test_id("import-result")).to_contain_text("Buku: 2 baru, 0 sudah ada")
    assert page.request.get("/api/v1/books?q=Laskar").json()["total"] == 1

    # The same file again: nothing new, so "Impor sekarang" is not offered.
    page.goto("/#/admin/impor")
    upload(page)
    expect(page.get_by_test_id("import-result")).to_contain_text("Buku: 0 baru, 2 sudah ada")
    expect(page.get_by_test_id("import-nothing")).to_contain_text("Tidak ada yang akan diimpor")
    expect(page.get_by_test_id("import-confirm")).to_have_count(0)

    # What came in goes out again from the same page: the catalogue as CSV and the copies as XLSX.
    page.goto("/#/admin/impor")
    with page.expect_download() as got:
        page.get_by_test_id("export-books-csv").click()
    text = Path(got.value.path()).read_bytes().decode("utf-8-sig")
    assert "Laskar Pelangi" in text and "Ronggeng Dukuh Paruk" in text, text[:300]
    with page.expect_download() as got:
        page.get_by_test_id("export-copies-xlsx").click()
    assert got.value.suggested_filename.endswith(".xlsx"), got.value.suggested_filename
    assert Path(got.value.path()).read_bytes()[:2] == b"PK", "an XLSX is a zip"
    keep(page, "ekspor-di-halaman.png")


# Big enough that the import runs for several heartbeats (about one a second): since #36 writes
# books a batch of 1,000 at a time, 10,000 rows took 1.5 s on a debug build, over before the page
# could show a count.
BIG = 100_000


def big_csv(n: int) -> bytes:
    rows = ["Judul;Pengarang;Eksemplar"] + [f"Buku Besar {i};Penulis {i % 50};BB-{i:06d}" for i in range(n)]
    return ("\r\n".join(rows) + "\r\n").encode()


def test_a_big_import_shows_its_progress_and_is_found_again(page: Page, server):
    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/admin/impor")
    upload(page, big_csv(BIG), "koleksi-besar.csv")
    result = page.get_by_test_id("import-result")
    progress = result.get_by_test_id("import-progress")
    # The dry run is a job too: the bar while it checks, then its report and the button.
    expect(progress).to_contain_text("Uji coba berjalan")
    expect(progress.locator("progress")).to_be_visible()
    expect(result).to_contain_text(f"Uji coba: {BIG} baris dibaca", timeout=120_000)
    page.get_by_test_id("import-confirm").click()
    expect(progress).to_contain_text("Impor berjalan")
    # Counted as it goes ("14.000 dari 100.000 (14%)"), about once a second.
    expect(progress).to_contain_text("dari 100.000", timeout=30_000)
    keep(page, "import-progress.png")
    # Reloading the page (or closing the tab) does not lose the job: the tab finds it again.
    page.reload()
    found = result.get_by_test_id("import-progress").or_(result.get_by_test_id("import-last"))
    expect(found).to_be_visible(timeout=10_000)
    if result.get_by_test_id("import-last").is_visible():
        result.get_by_test_id("import-last-report").click()
    expect(result).to_contain_text(f"Selesai: {BIG} baris dibaca", timeout=120_000)
    expect(result).to_contain_text(f"Buku: {BIG} baru, 0 sudah ada")
    assert page.request.get("/api/v1/books").json()["total"] == BIG
    # Opened again later: the last import, its result one click away.
    page.goto("/#/admin/audit")
    page.goto("/#/admin/impor")
    expect(result.get_by_test_id("import-last")).to_contain_text("selesai")
    result.get_by_test_id("import-last-report").click()
    expect(result).to_contain_text(f"Selesai: {BIG} baris dibaca")


# The school's own list: title rows, a column of titles named as nobody else names it, a code
# column that is the copy's barcode, a column of colours that is nothing to a library.
OWN = (
    b"DAFTAR INVENTARIS BUKU PERPUSTAKAAN\r\n"
    b"SMP NEGERI 3 CONTOH\r\n"
    b"\r\n"
    b"Kode;Nama Koleksi;Pengarang;Warna Sampul\r\n"
    b"X-001;Laskar Pelangi;Andrea Hirata;biru\r\n"
    b"X-002;Bumi Manusia;Pramoedya Ananta Toer;merah\r\n"
)


def test_the_mapping_step_takes_the_librarians_columns(page: Page, server):
    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/admin/impor")
    upload(page, OWN, "inventaris.csv", check=False)
    mapping = page.get_by_test_id("import-mapping")
    # The header is found under the title rows; only the author column was known by its name.
    expect(page.get_by_test_id("import-result")).to_contain_text("Judul kolom ditemukan di baris 4")
    expect(mapping.get_by_test_id("map-row")).to_have_count(4)
    expect(mapping).to_contain_text("Laskar Pelangi · Bumi Manusia")
    field = lambda header: mapping.locator(f"select[data-header='{header}']")  # noqa: E731
    expect(field("Pengarang")).to_have_value("authors")
    expect(field("Nama Koleksi")).to_have_value("")
    # No title chosen: the check waits, and says what is missing.
    expect(page.get_by_test_id("map-warning")).to_have_text("Pilih kolom mana yang berisi Judul.")
    expect(page.get_by_test_id("map-check")).to_be_disabled()
    field("Nama Koleksi").select_option("title")
    field("Kode").select_option("barcode")
    expect(page.get_by_test_id("map-check")).to_be_enabled()
    keep(page, "impor-pemetaan-kolom.png")
    page.get_by_test_id("map-check").click()
    result = page.get_by_test_id("import-result")
    expect(result).to_contain_text("Uji coba: 2 baris dibaca")
    expect(result.get_by_test_id("import-preview")).to_contain_text("Laskar Pelangi")
    expect(result).to_contain_text("Warna Sampul")  # listed as left out
    assert page.request.get("/api/v1/books?q=Laskar").json()["total"] == 0, "the dry run stored a book"
    # The import reads the file with the same choice.
    page.get_by_test_id("import-confirm").click()
    expect(result).to_contain_text("Selesai: 2 baris dibaca")
    assert page.request.get("/api/v1/books?q=Laskar").json()["total"] == 1
    assert page.request.get("/api/v1/copies/X-002").json()["status"] == "available"


# A class list with the school's own member numbers: none is a Pustaka card, so each student
# gets a new card, and the list of old number → new card is what the school prints or hands out.
CLASS_LIST = (
    b"Nama;No Anggota;Kelas\r\nBudi Santoso;2024-0117;7A\r\nDewi Lestari;2024-0118;7A\r\nSiti Aminah;P12345674;7B\r\n"
)


def new_cards_on_the_page(page: Page) -> list[tuple[str, str]]:
    rows = page.get_by_test_id("import-new-cards").locator("tbody tr")
    return [tuple(r.locator("td").all_inner_texts()) for r in rows.all()]


def test_the_old_numbers_new_cards_are_listed_and_downloaded(page: Page, server):
    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/admin/impor")
    form = page.get_by_test_id("import-form")
    form.locator("select[name=what]").select_option("members")
    # The default category is chosen from the library's categories.
    form.locator("select[name=default_category]").select_option("student")
    upload(page, CLASS_LIST, "kelas-7.csv")
    result = page.get_by_test_id("import-result")
    expect(result).to_contain_text("Uji coba: 3 baris dibaca")
    listed = result.get_by_test_id("import-new-cards").locator("tbody tr")
    expect(listed).to_have_count(2)
    dry = new_cards_on_the_page(page)
    assert [old for old, _ in dry] == ["2024-0117", "2024-0118"], dry
    assert all(card.startswith("P") and len(card) == 9 for _, card in dry), dry
    expect(result).to_contain_text("saat diimpor, anggota ini mendapat kartu baru")

    page.get_by_test_id("import-confirm").click()
    expect(result).to_contain_text("Selesai: 3 baris dibaca")
    expect(listed).to_have_count(2)
    done = new_cards_on_the_page(page)
    # The dry run showed the very cards the import issued.
    assert done == dry, (dry, done)
    budi = page.request.get("/api/v1/members?q=Budi").json()["items"][0]
    assert budi["card_number"] == done[0][1]
    result.get_by_test_id("import-new-cards").scroll_into_view_if_needed()
    keep(page, "kartu-baru-nomor-lama.png")

    with page.expect_download() as got:
        result.get_by_test_id("import-new-cards-csv").click()
    assert got.value.suggested_filename == "kartu-baru.csv", got.value.suggested_filename
    raw = Path(got.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines == ["Nomor lama;Kartu baru"] + [f"{old};{card}" for old, card in done], lines
