/* The flags (src/lib/config.c): each lands in its own field of struct config, through the
 * row that also makes --help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "config.h"

static void every_flag_lands_in_its_field(void **state)
{
    (void)state;
    char *argv[] = { "statusd", "--host", "::1", "--port", "9", "--threads", "3",
                     "--max-delay", "1.5", "--max-body", "4096", "--max-header-bytes", "2048",
                     "--timeout", "7", "--log", "json", "--max-keys", "11", "--state-ttl", "2",
                     "--max-redirects", "12", "--tls-cert", "c.pem", "--tls-key", "k.pem",
                     "--max-connections", "13", "--max-connections-per-ip", "14",
                     "--http2=off", "--h2-max-streams", "15", "--expose-hostname", NULL };
    struct config c;
    assert_int_equal(config_parse(&c, (int)(sizeof argv / sizeof *argv) - 1, argv), CONFIG_RUN);
    assert_string_equal(c.host, "::1");
    assert_int_equal(c.port, 9);
    assert_int_equal(c.threads, 3);
    assert_int_equal(c.max_delay_ms, 1500);
    assert_int_equal(c.max_body, 4096);
    assert_int_equal(c.max_header_bytes, 2048);
    assert_int_equal(c.timeout_s, 7);
    assert_int_equal(c.log_format, LOG_JSON);
    assert_int_equal(c.max_keys, 11);
    assert_int_equal(c.state_ttl_ms, 2000);
    assert_int_equal(c.max_redirects, 12);
    assert_string_equal(c.tls_cert, "c.pem");
    assert_string_equal(c.tls_key, "k.pem");
    assert_int_equal(c.max_connections, 13);
    assert_int_equal(c.max_connections_per_ip, 14);
    assert_false(c.http2);
    assert_int_equal(c.h2_max_streams, 15);
    assert_true(c.expose_hostname);
}

static void defaults_and_switches(void **state)
{
    (void)state;
    char *plain[] = { "statusd", NULL };
    struct config c;
    assert_int_equal(config_parse(&c, 1, plain), CONFIG_RUN);
    assert_true(c.http2);
    assert_false(c.expose_hostname);
    assert_int_equal(c.h2_max_streams, 100);
    assert_int_equal(c.log_format, LOG_TEXT);
    char *on[] = { "statusd", "--http2", NULL };
    assert_int_equal(config_parse(&c, 2, on), CONFIG_RUN);
    assert_true(c.http2);
    char *bad[] = { "statusd", "--http2=maybe", NULL };
    assert_int_equal(config_parse(&c, 2, bad), CONFIG_EXIT_USAGE);
}

int main(void)
{
    /* The environment twins must not leak into these cases. */
    unsetenv("STATUSD_PORT");
    unsetenv("STATUSD_HTTP2");
    unsetenv("STATUSD_LOG");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_flag_lands_in_its_field),
        cmocka_unit_test(defaults_and_switches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
