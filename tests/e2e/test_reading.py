"""The reading programme (Gerakan Literasi Sekolah, issue #34) on a phone, at 375 px: a class
teacher (role `guru`, given class 7A) opens their view, sees the target, the class summary and
per student the books borrowed, returned and read in the library; the school's XLSX and the top
readers' PDF are linked; another class is refused in words, not as JSON. Screenshots through
keep() for the task doc."""

from __future__ import annotations

import datetime
import re
import secrets

from playwright.sync_api import expect

from api_client import Api
from test_desk import log_in
from test_layout import keep

WIDTH, HEIGHT = 375, 740


def test_a_teacher_sees_their_class_on_a_phone(browser, server):
    context = browser.new_context(
        base_url=server.base_url, viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        api = Api(page, server.admin_password)
        today = datetime.date.today()
        term = api.call(
            "POST",
            "/terms",
            {
                "name": "Semester Genap 2026/2027",
                "starts_on": str(today - datetime.timedelta(days=30)),
                "ends_on": str(today + datetime.timedelta(days=60)),
            },
            201,
        )["id"]
        api.call("PUT", f"/reading/targets/{term}", {"books": 2}, 200)
        book = api.call("POST", "/books", {"title": "Laskar Pelangi", "authors": ["Andrea Hirata"]}, 201)["id"]
        for i in range(1, 6):
            api.call("POST", f"/books/{book}/copies", {"barcode": f"GLS-{i}"}, 201)
        cards = {}
        ani_password = secrets.token_urlsafe(12)
        for name, grade in (("Ani Lestari", "7A"), ("Budi Santoso", "7A"), ("Citra Ayu", "7A"), ("Dewi", "7B")):
            body = {"name": name, "category": "student", "grade": grade}
            if name == "Ani Lestari":
                body |= {"username": "ani", "password": ani_password}
            m = api.call("POST", "/members", body, 201)
            cards[name] = m["card_number"]
        for barcode, who in (("GLS-1", "Ani Lestari"), ("GLS-2", "Ani Lestari"), ("GLS-3", "Budi Santoso")):
            api.call("POST", "/loans", {"barcode": barcode, "card_number": cards[who]}, 201)
            api.call("POST", "/returns", {"barcode": barcode}, 200)
        api.call("POST", "/in-library-uses", {"barcode": "GLS-4", "card_number": cards["Ani Lestari"]}, 201)
        api.call("POST", "/loans", {"barcode": "GLS-5", "card_number": cards["Dewi"]}, 201)
        password = secrets.token_urlsafe(12)
        guru = api.call("POST", "/users", {"username": "bu-sari", "password": password, "role": "guru"}, 201)["id"]
        api.call("PUT", f"/users/{guru}/classes", {"classes": ["7A"]}, 200)

        log_in(page, "bu-sari", password, "Guru")
        expect(page.get_by_test_id("nav-reading")).to_be_visible()
        page.get_by_test_id("nav-reading").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Gerakan Literasi Sekolah")
        expect(page.get_by_test_id("reading-target")).to_contain_text("2 buku")
        expect(page.get_by_test_id("reading-students-7A")).to_contain_text("3")
        expect(page.get_by_test_id("reading-reached-7A")).to_contain_text("1/3")
        rows = page.get_by_test_id("reading-table").locator("tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text("Ani Lestari")
        expect(rows.nth(0)).to_contain_text("Tercapai")
        expect(rows.nth(1)).to_contain_text("Budi Santoso")
        expect(rows.nth(1)).to_contain_text("Belum")
        expect(page.get_by_test_id("reading-table")).not_to_contain_text("Dewi")
        expect(page.get_by_test_id("reading-xlsx")).to_have_attribute(
            "href", f"/api/v1/reading/students?term={term}&lang=id&format=xlsx"
        )
        expect(page.get_by_test_id("reading-target-form")).to_have_count(0)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH
        keep(page, "literasi-guru-375.png")

        # The XLSX downloads for the teacher's classes.
        r = page.context.request.get(f"/api/v1/reading/students?term={term}&format=xlsx")
        assert r.status == 200 and r.body()[:2] == b"PK", r.status

        # Another class: refused, in words.
        page.goto(f"/#/literasi?semester={term}&kelas=7B")
        expect(page.locator(".notice-error")).to_be_visible()
        expect(page.locator(".notice-error")).not_to_contain_text("{")
        keep(page, "literasi-guru-kelas-lain-375.png")
        page.get_by_test_id("logout-button").click()
        # Logged out (the page goes to the catalogue) before the next login opens its form.
        expect(page.get_by_test_id("user-badge")).to_have_count(0)
        expect(page).to_have_url(re.compile(r"#/katalog$"))

        # Ani, on her phone: a book onto her reading list, then her account: this term's figures
        # against the target and the list.
        other = api.call("POST", "/books", {"title": "Bumi Manusia", "authors": ["Pramoedya Ananta Toer"]}, 201)["id"]
        log_in(page, "ani", ani_password, "Anggota")
        page.goto(f"/#/buku/{other}")
        page.get_by_test_id("reading-list-add").click()
        expect(page.locator(".hold-result")).to_contain_text("daftar bacaan")
        page.goto("/#/akun")
        expect(page.get_by_test_id("my-reading")).to_contain_text("3 dari target 2 buku dibaca")
        expect(page.get_by_test_id("reading-list")).to_contain_text("Bumi Manusia")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH
        keep(page, "literasi-anggota-375.png")
        page.get_by_test_id(f"reading-list-remove-{other}").click()
        expect(page.get_by_test_id("reading-list")).to_have_count(0)
    finally:
        context.close()
