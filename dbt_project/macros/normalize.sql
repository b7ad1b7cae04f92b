{#
  Keys used by identity matching. Both sides of a match go through the same macro.
#}

{# 'https://www.Acme.com:443/about' -> 'acme.com'; also accepts bare domains and e-mail domains. #}
{% macro normalize_domain(column) -%}
    nullif(
        regexp_replace(
            split_part(split_part(split_part(
                regexp_replace(lower(trim({{ column }})), '^[a-z][a-z0-9+.-]*://', ''),
            '/', 1), '?', 1), ':', 1),
            '^www[.]', ''
        ),
        ''
    )
{%- endmacro %}

{# The domain of an e-mail address, normalized like an account domain. #}
{% macro email_domain(column) -%}
    {{ normalize_domain("split_part(" ~ column ~ ", '@', 2)") }}
{%- endmacro %}

{#
  'Acme Corporation' and 'ACME Corp.' -> 'acme'; 'Globex K.K.' -> 'globex';
  '株式会社アオバ' and '(株)アオバ' -> 'アオバ'; 'Aoba Pty Ltd' -> 'aoba'.
  Lower-case, drop dots (so 'k.k.' becomes 'kk'), drop legal-form words, then keep only
  letters and digits (any script, so Japanese names survive). Empty results become NULL
  so they never match each other.
#}
{% macro normalize_company_name(column) -%}
    {%- set b = cs360.regex_word_boundary() -%}
    {%- set s = cs360.regex_space() -%}
    nullif(
        {{ cs360.regexp_replace_all(
            cs360.regexp_replace_all(
                cs360.regexp_replace_all(
                    cs360.regexp_replace_all("lower(trim(" ~ column ~ "))", "'[.]'", "''"),
                    "'株式会社|有限会社|合同会社|[(（]" ~ s ~ "*[株有]" ~ s ~ "*[)）]|㈱|㈲'", "' '"
                ),
                "'" ~ b ~ "(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|llp|plc|pty|pte|gmbh|ag|kg|sa|sas|sarl|srl|kk|bv|nv)" ~ b ~ "'",
                "' '"
            ),
            "'[^" ~ cs360.regex_letters_and_digits() ~ "]'", "''"
        ) }},
        ''
    )
{%- endmacro %}

{# E-mail addresses compare lower-cased and trimmed; anything without an '@' is no address. #}
{% macro normalize_email(column) -%}
    case when {{ column }} like '%_@_%' then lower(trim({{ column }})) end
{%- endmacro %}
