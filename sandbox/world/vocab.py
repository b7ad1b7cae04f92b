"""Words the world generator draws from: company names and their variants, people, products.

Company names are "<A><b> <C>" (``Aoba Systems``, ``Northgate Logistics``). The product
knows tenants by the names people typed at sign-up, which differ from the CRM name the way
real ones do; :func:`tenant_name` writes those variants.
"""

from __future__ import annotations

NAME_A = ["Aoba", "Hikari", "Sakura", "Nova", "Blue", "North", "Apex", "Cedar", "Delta", "Ember",
          "Falcon", "Granite", "Harbor", "Iris", "Juniper", "Kite", "Lumen", "Maple", "Nimbus",
          "Orbit", "Pioneer", "Quartz", "River", "Summit", "Tidal", "Vertex", "Willow", "Zephyr",
          "Kaze", "Midori", "Yama", "Sora", "Polar", "Crimson", "Silver", "Golden", "Atlas",
          "Beacon", "Coral", "Echo", "Fuji", "Haru", "Indigo", "Jade", "Keystone", "Lotus",
          "Meridian", "Oak", "Pine", "Redwood", "Sage", "Terra", "Umi", "Vista", "Wren", "Aster",
          "Bright", "Clear", "Swift", "True"]
NAME_B = ["", "", "", "", "", "bay", "peak", "line", "point", "gate", "field", "stone", "wave",
          "light", "bridge", "crest", "view", "side", "wood", "works"]
NAME_C = ["Systems", "Logistics", "Foods", "Health", "Analytics", "Labs", "Robotics", "Energy",
          "Finance", "Media", "Retail", "Motors", "Pharma", "Software", "Networks", "Studio",
          "Capital", "Textiles", "Construction", "Travel", "Education", "Security", "Cloud",
          "Partners", "Manufacturing", "Insurance", "Consulting", "Dynamics", "Materials", "Group"]

# How a Japanese team writes the same words (katakana; a few native words in kanji).
KANA_A = {
    "Aoba": "アオバ", "Hikari": "ヒカリ", "Sakura": "サクラ", "Nova": "ノヴァ", "Blue": "ブルー",
    "North": "ノース", "Apex": "エイペックス", "Cedar": "シーダー", "Delta": "デルタ", "Ember": "エンバー",
    "Falcon": "ファルコン", "Granite": "グラナイト", "Harbor": "ハーバー", "Iris": "アイリス",
    "Juniper": "ジュニパー", "Kite": "カイト", "Lumen": "ルーメン", "Maple": "メイプル",
    "Nimbus": "ニンバス", "Orbit": "オービット", "Pioneer": "パイオニア", "Quartz": "クォーツ",
    "River": "リバー", "Summit": "サミット", "Tidal": "タイダル", "Vertex": "バーテックス",
    "Willow": "ウィロー", "Zephyr": "ゼファー", "Kaze": "風", "Midori": "みどり", "Yama": "山",
    "Sora": "そら", "Polar": "ポーラー", "Crimson": "クリムゾン", "Silver": "シルバー",
    "Golden": "ゴールデン", "Atlas": "アトラス", "Beacon": "ビーコン", "Coral": "コーラル",
    "Echo": "エコー", "Fuji": "富士", "Haru": "ハル", "Indigo": "インディゴ", "Jade": "ジェイド",
    "Keystone": "キーストーン", "Lotus": "ロータス", "Meridian": "メリディアン", "Oak": "オーク",
    "Pine": "パイン", "Redwood": "レッドウッド", "Sage": "セージ", "Terra": "テラ", "Umi": "海",
    "Vista": "ビスタ", "Wren": "レン", "Aster": "アスター", "Bright": "ブライト", "Clear": "クリア",
    "Swift": "スウィフト", "True": "トゥルー",
}
KANA_B = {
    "": "", "bay": "ベイ", "peak": "ピーク", "line": "ライン", "point": "ポイント", "gate": "ゲート",
    "field": "フィールド", "stone": "ストーン", "wave": "ウェーブ", "light": "ライト",
    "bridge": "ブリッジ", "crest": "クレスト", "view": "ビュー", "side": "サイド", "wood": "ウッド",
    "works": "ワークス",
}
KANA_C = {
    "Systems": "システムズ", "Logistics": "ロジスティクス", "Foods": "フーズ", "Health": "ヘルス",
    "Analytics": "アナリティクス", "Labs": "ラボ", "Robotics": "ロボティクス", "Energy": "エナジー",
    "Finance": "ファイナンス", "Media": "メディア", "Retail": "リテール", "Motors": "モーターズ",
    "Pharma": "ファーマ", "Software": "ソフトウェア", "Networks": "ネットワークス", "Studio": "スタジオ",
    "Capital": "キャピタル", "Textiles": "テキスタイル", "Construction": "建設", "Travel": "トラベル",
    "Education": "エデュケーション", "Security": "セキュリティ", "Cloud": "クラウド",
    "Partners": "パートナーズ", "Manufacturing": "製作所", "Insurance": "保険",
    "Consulting": "コンサルティング", "Dynamics": "ダイナミクス", "Materials": "マテリアルズ",
    "Group": "グループ",
}
ABBREV_C = {
    "Systems": "Sys.", "Logistics": "Logi", "Foods": "Fds.", "Health": "Hlth", "Analytics": "Analytix",
    "Labs": "Lab", "Robotics": "Robo", "Energy": "Enrg.", "Finance": "Fin.", "Media": "Med.",
    "Retail": "Rtl.", "Motors": "Mtrs", "Pharma": "Pharm.", "Software": "SW", "Networks": "Net",
    "Studio": "Std.", "Capital": "Cap.", "Textiles": "Tex.", "Construction": "Constr.",
    "Travel": "Trvl", "Education": "Edu", "Security": "Sec.", "Cloud": "Cld", "Partners": "Ptnrs",
    "Manufacturing": "Mfg", "Insurance": "Ins.", "Consulting": "Consult.", "Dynamics": "Dyn.",
    "Materials": "Matl", "Group": "Grp",
}
LEGAL = {"US": ["Inc.", "LLC", "Corp."], "CA": ["Inc.", "Ltd."], "GB": ["Ltd", "plc"],
         "DE": ["GmbH", "AG"], "FR": ["SAS", "SA"], "NL": ["B.V."], "AU": ["Pty Ltd"],
         "SG": ["Pte. Ltd."], "JP": ["K.K.", "Co., Ltd."]}
DEPARTMENTS = ["Sales", "Marketing", "HR", "Finance", "Support", "R&D", "Operations", "EMEA",
               "APAC", "Tokyo office", "Procurement", "IT"]
SANDBOX_SUFFIX = ["-sandbox", "-test", "-staging", "-dev", " (trial copy)"]

INDUSTRIES = ["Software", "Manufacturing", "Retail", "Healthcare", "Financial Services",
              "Logistics", "Education", "Media", "Construction", "Professional Services"]
# country, share, TLD, UTC offset (hours) of its business day
COUNTRIES = [("US", 0.34, ".com", -6), ("JP", 0.22, ".co.jp", 9), ("GB", 0.10, ".co.uk", 0),
             ("DE", 0.09, ".de", 1), ("FR", 0.06, ".fr", 1), ("CA", 0.06, ".com", -5),
             ("AU", 0.05, ".com.au", 10), ("SG", 0.04, ".com.sg", 8), ("NL", 0.04, ".nl", 1)]
# personal mailboxes: a domain match on these says nothing about the company
FREE_MAIL = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "yahoo.co.jp",
             "docomo.ne.jp", "gmx.de", "web.de", "orange.fr", "btinternet.com", "proton.me"]
FREE_MAIL_JP = ["gmail.com", "yahoo.co.jp", "docomo.ne.jp", "icloud.com", "outlook.com"]

FIRST_W = ["james", "mary", "john", "linda", "michael", "sarah", "david", "emma", "daniel",
           "olivia", "thomas", "sophie", "lucas", "chloe", "peter", "anna", "mark", "laura",
           "paul", "julia", "kevin", "nina", "oliver", "grace", "leon", "mia", "adam", "ella"]
LAST_W = ["smith", "johnson", "brown", "miller", "davis", "wilson", "taylor", "clark", "lewis",
          "walker", "young", "king", "wright", "green", "baker", "hill", "moore", "martin",
          "schmidt", "muller", "dubois", "moreau", "jansen", "devries", "tan", "lim", "nguyen"]
FIRST_J = ["aiko", "haruto", "yui", "sota", "hina", "ren", "mei", "yuto", "sakura", "kaito",
           "rin", "takumi", "yuna", "riku", "mio", "daiki", "saki", "kenta", "nana", "shota"]
LAST_J = ["tanaka", "suzuki", "takahashi", "watanabe", "ito", "yamamoto", "nakamura", "kobayashi",
          "kato", "yoshida", "yamada", "sasaki", "matsumoto", "inoue", "kimura", "hayashi"]
TITLES = ["CEO", "CTO", "COO", "VP Operations", "Head of IT", "Operations Manager",
          "Project Manager", "IT Administrator", "Finance Manager", "Team Lead",
          "Customer Success Lead", "Product Owner"]

SUBJECTS = ["Cannot log in", "Export is slow", "Question about billing", "Report shows wrong totals",
            "Integration stopped syncing", "Feature request: custom fields",
            "Error when uploading a file", "Password reset does not arrive", "API rate limit",
            "Dashboard does not load"]
SUBJECTS_ONBOARDING = ["How do I add users?", "SSO configuration", "Importing our data",
                       "Setting up roles and permissions", "Where do I start?"]
SUBJECTS_RENEWAL_GOOD = ["Renewal quote request", "Adding seats at renewal", "Upgrade options for next term"]
SUBJECTS_RENEWAL_BAD = ["How do we reduce seats?", "Cancel subscription at end of term",
                        "Invoice dispute", "Downgrade to a smaller plan"]

COMMENTS = {
    "detractor": ["Too slow and buggy.", "Support takes too long.", "Hard to get my team to use it.",
                  "Missing the features we need.", "Considering alternatives."],
    "passive": ["Does the job.", "Good, but reporting could be better.", "Fine overall.",
                "Onboarding was a bit long."],
    "promoter": ["Great product!", "Our team uses it every day.", "Support is excellent.",
                 "Saves us hours every week.", "Love the automations."],
}
COURSES = [("CRS-01", "Getting started", "onboarding"), ("CRS-02", "Admin essentials", "onboarding"),
           ("CRS-03", "Webinar: Reporting deep dive", "webinar"),
           ("CRS-04", "Webinar: Automations that save hours", "webinar"),
           ("CRS-05", "Webinar: Integrations roundup", "webinar"),
           ("CRS-06", "Webinar: What's new this quarter", "webinar"),
           ("CRS-07", "Certified Admin", "certification"),
           ("CRS-08", "Certified Power User", "certification")]

# Name styles of an account's main tenant, with their shares (documented in the generator).
STYLES_WEST = [("exact", 0.40), ("legal", 0.15), ("slug", 0.15), ("abbrev", 0.10),
               ("initials", 0.05), ("team", 0.10), ("squashed", 0.05)]
STYLES_JP = [("exact", 0.25), ("kana", 0.20), ("kabushiki", 0.20), ("kana_kk", 0.05),
             ("kabushiki_roman", 0.05), ("legal", 0.05), ("slug", 0.15), ("squashed", 0.05)]


def tenant_name(style: str, a: str, b: str, c: str, country: str, pick: float) -> str:
    """The name a tenant was given at sign-up, for the company ``f"{a}{b} {c}"``.

    ``pick`` in [0, 1) chooses among a style's own alternatives, so the caller's random
    stream alone decides the result.
    """
    name = f"{a}{b} {c}"
    if style == "exact":
        return name
    if style == "legal":
        forms = LEGAL.get(country) or LEGAL["US"]
        form = forms[int(pick * len(forms))]
        return f"{name}, {form}" if (pick * 7) % 1 < 0.3 else f"{name} {form}"
    if style == "slug":
        sep = ["-", "", "_"][int(pick * 3)]
        return f"{a}{b}{sep}{c}".lower()
    if style == "abbrev":
        return f"{a}{b} {ABBREV_C[c]}"
    if style == "initials":
        initials = (a[0] + (b[0] if b else "") + c[0]).upper()
        return initials if pick < 0.5 else f"{initials} {c}"
    if style == "team":
        return f"{a}{b} Team" if pick < 0.6 else f"Team {a}{b}"
    if style == "squashed":
        return f"{a}{b}{c}" if pick < 0.5 else name.upper()
    kana = KANA_A[a] + KANA_B[b] + ("" if pick < 0.6 else "・") + KANA_C[c]
    if style == "kana":
        return kana
    if style == "kabushiki":
        return ("株式会社" if pick < 0.8 else "(株)") + kana
    if style == "kana_kk":
        return kana + "株式会社"
    if style == "kabushiki_roman":
        return f"株式会社{a}{b}{c}" if pick < 0.5 else f"株式会社 {name}"
    raise ValueError(style)
