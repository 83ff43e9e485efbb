package ai.lort.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TemplateRewriterTest {
    @Test
    void parenthesizesKeywordArguments() {
        assertThat(TemplateRewriter.rewrite("{%- set ns = namespace(a=true, b=messages|length - 1, c='x(y), z=1') %}"))
                .isEqualTo("{%- set ns = namespace(a=(true), b=(messages|length - 1), c=('x(y), z=1')) %}");
        assertThat(TemplateRewriter.rewrite("{{ x | tojson(indent=2) }}")).isEqualTo("{{ x | tojson(indent=(2)) }}");
    }

    @Test
    void leavesComparisonsLiteralsAndTextAlone() {
        String unchanged = "f(a=1) {{ (a == b) and (c != d) and f(x >= 1) }}{% set d = {'k': g(k=1)} %}{% macro m(a=1) %}{% endmacro %}";
        assertThat(TemplateRewriter.rewrite(unchanged)).isEqualTo(unchanged);
    }

    @Test
    void bindsNotLooserThanIs() {
        assertThat(TemplateRewriter.rewrite("{%- if not tools is defined and not m['x'].y is not none %}"))
                .isEqualTo("{%- if not (tools is defined) and not (m['x'].y is not none) %}");
        assertThat(TemplateRewriter.rewrite("{% if not x is divisibleby(3) %}")).isEqualTo("{% if not x is divisibleby(3) %}");
    }

    @Test
    void turnsReverseSlicesIntoTheReverseFilter() {
        assertThat(TemplateRewriter.rewrite("{% for m in messages[::-1] %}{{ a.b[0][ : : -1 ] }}{% endfor %}"))
                .isEqualTo("{% for m in (messages|reverse) %}{{ (a.b[0]|reverse) }}{% endfor %}");
    }
}
