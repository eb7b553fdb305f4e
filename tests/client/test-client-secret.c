/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <unistd.h>

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "vivarium.h"

#include "test-client-common.h"
#include "viv-test-harness.h"

/* API keys in a real gnome-keyring, in a private D-Bus session with its own
 * runtime and data directories, unlocked with an empty password. */

static char *
lookup (VivAccount  *account,
        GError     **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  viv_account_lookup_api_key_async (account, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  return viv_account_lookup_api_key_finish (account, result, error);
}

static gboolean
store (VivAccount  *account,
       const char  *key,
       GError     **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  viv_account_store_api_key_async (account, key, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  return viv_account_store_api_key_finish (account, result, error);
}

static void
test_store_lookup_clear (void)
{
  g_autoptr (VivAccount) one = viv_account_new (VIV_ACCOUNT_KIND_E2B_CLOUD, "one", NULL, NULL, NULL, NULL);
  g_autoptr (VivAccount) two = viv_account_new (VIV_ACCOUNT_KIND_CUSTOM, "two", "Fleet",
                                                "https://api.fleet.test", NULL, "fleet.test");
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *key2 = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *gone = NULL;
  GAsyncResult *slot = NULL;
  gboolean stored = FALSE;

  /* The daemon takes a moment to claim its name on the fresh bus. */
  for (int i = 0; i < 300 && !stored; i++)
    {
      g_clear_error (&error);
      stored = store (one, "e2b_1111", &error);
      if (!stored)
        g_usleep (100 * 1000);
    }
  g_assert_no_error (error);
  g_assert_true (store (two, "e2b_2222", &error));
  g_assert_no_error (error);

  key = lookup (one, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "e2b_1111");

  /* Storing again replaces, and accounts do not see each other's keys. */
  g_assert_true (store (one, "e2b_3333", &error));
  g_free (key);
  key = lookup (one, &error);
  g_assert_cmpstr (key, ==, "e2b_3333");
  key2 = lookup (two, &error);
  g_assert_cmpstr (key2, ==, "e2b_2222");

  /* It is our schema, keyed by the account id. */
  raw = secret_password_lookup_sync (&(SecretSchema) { "io.github.vivarium.ApiKey", SECRET_SCHEMA_NONE,
                                                       { { "account-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
                                                         { NULL, 0 } } },
                                     NULL, &error, "account-id", "two", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (raw, ==, "e2b_2222");

  viv_account_clear_api_key_async (one, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_account_clear_api_key_finish (one, result, &error));
  g_assert_no_error (error);
  gone = lookup (one, &error);
  g_assert_null (gone);
  g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_FOUND);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *runtime = NULL;
  g_autofree char *data = NULL;
  g_autofree char *address = NULL;
  GPid bus = 0, keyring = 0;
  char buffer[1024] = { 0 };
  gsize length = 0;
  int out = -1;
  int status;

  g_test_init (&argc, &argv, NULL);

  if (!g_find_program_in_path ("dbus-daemon") || !g_find_program_in_path ("gnome-keyring-daemon"))
    {
      g_test_skip ("dbus-daemon or gnome-keyring-daemon is missing");
      return g_test_run ();
    }

  /* Everything the keyring touches is private to this test. */
  dir = g_dir_make_tmp ("viv-secret-XXXXXX", &error);
  g_assert_no_error (error);
  runtime = g_build_filename (dir, "run", NULL);
  data = g_build_filename (dir, "data", NULL);
  g_mkdir_with_parents (runtime, 0700);
  g_mkdir_with_parents (data, 0700);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("HOME", dir, TRUE);

  {
    const char *bus_argv[] = { "dbus-daemon", "--session", "--nofork", "--print-address=1", NULL };

    bus = viv_test_spawn (bus_argv, NULL, &out);
  }
  while (length < sizeof buffer - 1 && !memchr (buffer, '\n', length))
    {
      gssize n = read (out, buffer + length, sizeof buffer - 1 - length);

      g_assert_cmpint (n, >, 0);
      length += n;
    }
  address = g_strndup (buffer, strcspn (buffer, "\n"));
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

  {
    g_auto (GStrv) envp = g_get_environ ();
    /* An empty line is the empty password that unlocks (and creates) the
     * login keyring; with no bytes at all (echo -n "") gnome-keyring 42
     * creates no login keyring and the default collection does not exist.
     * exec keeps the daemon in the child that dies with the test. */
    const char *keyring_argv[] = {
      "sh", "-c", "exec gnome-keyring-daemon --unlock --components=secrets --foreground >/dev/null <<EOF\n\nEOF\n",
      NULL
    };

    keyring = viv_test_spawn (keyring_argv, (const char * const *) envp, NULL);
  }

  /* A client that asks before the daemon has read the password and created
   * the login keyring makes it give up on creating it (seen under load: the
   * default collection then never appears). Its file tells it is there. */
  {
    g_autofree char *login = g_build_filename (data, "keyrings", "login.keyring", NULL);

    if (!viv_test_wait_for_path (login, 30000))
      g_error ("gnome-keyring-daemon created no login keyring at %s", login);
  }

  g_test_add_func ("/client/secret/store-lookup-clear", test_store_lookup_clear);
  status = g_test_run ();

  viv_test_kill (keyring);
  viv_test_kill (bus);
  close (out);
  return status;
}
