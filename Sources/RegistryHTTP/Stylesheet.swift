/// The service's one stylesheet, served at `/assets/style.css`: readable on a phone as on a desk.
enum Stylesheet {
    static let css = """
        *{box-sizing:border-box}
        body{margin:0;font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;font-size:16px;color:#1d2733;background:#f4f6f8}
        header{background:#1f4e79;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem}
        .brand{font-weight:bold}
        nav{display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:center}
        nav a{color:#fff;text-decoration:none;padding:.25rem 0}
        nav a:hover{text-decoration:underline}
        .logout{display:inline-flex;gap:.5rem;align-items:center;margin:0}
        .logout button{background:transparent;color:#fff;border:1px solid #fff;border-radius:4px;padding:.2rem .6rem}
        .who{opacity:.85}
        main{max-width:60rem;margin:0 auto;padding:1rem}
        h1{font-size:1.4rem;margin:.5rem 0 1rem}
        h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
        form.card,section.card{background:#fff;border-radius:8px;padding:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:1rem}
        label{display:block;font-weight:600;margin:.75rem 0 .25rem}
        input,select{width:100%;padding:.6rem;font-size:1rem;border:1px solid #aab4bf;border-radius:6px}
        input[type=checkbox]{width:auto}
        input.invalid{border-color:#c0392b;background:#fff5f4}
        .error{color:#c0392b;margin:.25rem 0 0;font-size:.95rem}
        .notice{background:#e8f4ea;border-left:4px solid #2e7d32;padding:.75rem;margin-bottom:1rem}
        .alert{background:#fdecea;border-left:4px solid #c0392b;padding:.75rem;margin-bottom:1rem}
        button,.button{display:inline-block;background:#1f4e79;color:#fff;border:0;border-radius:6px;padding:.65rem 1.2rem;font-size:1rem;margin-top:1rem;text-decoration:none}
        button.secondary{background:#fff;color:#1f4e79;border:1px solid #1f4e79;margin-left:.5rem}
        small{color:#5b6774}
        .req{color:#c0392b}
        table{width:100%;border-collapse:collapse;background:#fff;font-size:.95rem}
        th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e2e6ea}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        tr.flagged td{background:#fff4e5}
        .flag{color:#b35900;font-weight:bold}
        .table-wrap{overflow-x:auto}
        svg.chart{width:100%;height:auto;background:#fff;border-radius:8px}
        .chart .line{fill:none;stroke:#1f4e79;stroke-width:2.5}
        .chart .dot{fill:#1f4e79}
        .chart .axis{stroke:#aab4bf;stroke-width:1}
        .chart text{font-size:11px;fill:#5b6774}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;background:#fff;padding:1rem;border-radius:8px}
        dl.facts dt{font-weight:600}
        dl.facts dd{margin:0}
        @media (max-width:600px){main{padding:.5rem}th,td{padding:.35rem .3rem}}
        """
}
