/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "test-client-common.h"

void
viv_test_result_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

GAsyncResult *
viv_test_wait_result (GAsyncResult **slot)
{
  gboolean expired = FALSE;
  /* Generous: a loaded 2-core machine starting sandboxes is slow. */
  guint source = g_timeout_add_seconds (120, timeout_cb, &expired);
  GAsyncResult *result;

  while (*slot == NULL && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (!expired)
    g_source_remove (source);
  g_assert_nonnull (*slot);

  result = *slot;
  *slot = NULL;
  return result;
}

gboolean
viv_test_wait_flag (gboolean *flag,
                    guint     timeout_ms)
{
  gboolean expired = FALSE;
  guint source = g_timeout_add (timeout_ms, timeout_cb, &expired);

  while (!*flag && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (!expired)
    g_source_remove (source);
  return *flag;
}

char *
viv_test_fixture (const char *name,
                  gsize      *length)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, length, &error);
  g_assert_no_error (error);
  return contents;
}
