/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gunixsocketaddress.h>

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-sandbox-private.h"

#include "test-client-common.h"
#include "viv-test-harness.h"

/* A sandbox's environment variables (GET /envs) read through the client from
 * a real guest's envd, after /init set them as a control plane does. */

typedef struct
{
  VivTestGuest *guest;
  VivClient    *client;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (VivAccount) account = NULL;
  g_autoptr (GSocketAddress) address = NULL;

  fixture->guest = viv_test_guest_start (NULL, NULL);
  account = viv_account_new (VIV_ACCOUNT_KIND_CUSTOM, "guest", "Guest",
                             "http://localhost", "http://localhost", "localhost");
  fixture->client = viv_client_new (account, "unused");
  address = g_unix_socket_address_new (fixture->guest->socket_path);
  _viv_client_set_remote_connectable (fixture->client, G_SOCKET_CONNECTABLE (address));
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->client);
  viv_test_guest_stop (fixture->guest);
}

static GHashTable *
read_env_vars (VivSandbox  *sandbox,
               GError     **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  viv_sandbox_get_env_vars_async (sandbox, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  return viv_sandbox_get_env_vars_finish (sandbox, result, error);
}

static void
test_read (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr (VivSandbox) sandbox = _viv_sandbox_new_for_testing (fixture->client, "guest0",
                                                                 fixture->guest->token);
  g_autoptr (GHashTable) before = NULL;
  g_autoptr (GHashTable) after = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GError) error = NULL;
  guint status = 0;

  before = read_env_vars (sandbox, &error);
  g_assert_no_error (error);
  g_assert_nonnull (before);
  g_assert_cmpuint (g_hash_table_size (before), ==, 0);

  answer = viv_test_guest_json (fixture->guest, "POST", "/init",
                                "{\"envVars\": {\"OPENAI_API_KEY\": \"sk-test-123\","
                                " \"GREETING\": \"hello world\", \"EMPTY\": \"\"}}",
                                &status);
  g_assert_cmpuint (status, ==, 204);

  after = read_env_vars (sandbox, &error);
  g_assert_no_error (error);
  g_assert_nonnull (after);
  g_assert_cmpuint (g_hash_table_size (after), ==, 3);
  g_assert_cmpstr (g_hash_table_lookup (after, "OPENAI_API_KEY"), ==, "sk-test-123");
  g_assert_cmpstr (g_hash_table_lookup (after, "GREETING"), ==, "hello world");
  g_assert_cmpstr (g_hash_table_lookup (after, "EMPTY"), ==, "");
}

static void
test_refused (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr (VivSandbox) sandbox = _viv_sandbox_new_for_testing (fixture->client, "guest0",
                                                                 "not-the-token");
  g_autoptr (GHashTable) env_vars = NULL;
  g_autoptr (GError) error = NULL;

  env_vars = read_env_vars (sandbox, &error);
  g_assert_null (env_vars);
  g_assert_error (error, VIV_ERROR, VIV_ERROR_UNAUTHENTICATED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/client/envs/read", Fixture, NULL, fixture_setup, test_read, fixture_teardown);
  g_test_add ("/client/envs/refused", Fixture, NULL, fixture_setup, test_refused, fixture_teardown);

  return g_test_run ();
}
