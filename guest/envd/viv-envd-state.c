/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <unistd.h>

#include "viv-envd-state.h"

static void
state_free (gpointer data)
{
  VivEnvdState *state = data;

  g_clear_pointer (&state->env_vars, g_hash_table_unref);
  g_free (state->default_user);
  g_free (state->default_workdir);
  g_free (state);
}

VivEnvdState *
viv_envd_state_get (VivGuest *guest)
{
  VivEnvdState *state = g_object_get_data (G_OBJECT (guest), "viv-envd-state");

  if (state == NULL)
    {
      state = g_new0 (VivEnvdState, 1);
      state->env_vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_object_set_data_full (G_OBJECT (guest), "viv-envd-state", state, state_free);
    }

  return state;
}

void
viv_envd_user_free (VivEnvdUser *user)
{
  if (user == NULL)
    return;

  g_free (user->name);
  g_free (user->home);
  g_free (user->shell);
  g_free (user);
}

static VivEnvdUser *
user_from_passwd (const struct passwd *pw)
{
  VivEnvdUser *user = g_new0 (VivEnvdUser, 1);

  user->name = g_strdup (pw->pw_name);
  user->home = g_strdup (pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
  user->shell = g_strdup (pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
  user->uid = pw->pw_uid;
  user->gid = pw->pw_gid;
  return user;
}

static struct passwd *
lookup_passwd (const char    *name,
               uid_t          uid,
               struct passwd *storage,
               char          *buffer,
               gsize          buffer_size)
{
  struct passwd *result = NULL;

  if (name != NULL)
    getpwnam_r (name, storage, buffer, buffer_size, &result);
  else
    getpwuid_r (uid, storage, buffer, buffer_size, &result);

  return result;
}

VivEnvdUser *
viv_envd_user_lookup (VivGuest    *guest,
                      const char  *username,
                      GError     **error)
{
  VivEnvdState *state = viv_envd_state_get (guest);
  struct passwd storage, *pw;
  char buffer[4096];
  uid_t self_uid = geteuid ();

  if (username == NULL || *username == '\0')
    username = state->default_user;

  if (username == NULL || *username == '\0')
    {
      pw = lookup_passwd (NULL, self_uid, &storage, buffer, sizeof buffer);
      if (pw == NULL)
        {
          /* A uid without a passwd entry (a bare user namespace) still works. */
          VivEnvdUser *user = g_new0 (VivEnvdUser, 1);

          user->name = g_strdup_printf ("%u", (guint) self_uid);
          user->home = g_strdup (g_get_home_dir ());
          user->shell = g_strdup ("/bin/sh");
          user->uid = self_uid;
          user->gid = getegid ();
          return user;
        }
      return user_from_passwd (pw);
    }

  pw = lookup_passwd (username, 0, &storage, buffer, sizeof buffer);
  if (pw == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "Unknown user “%s”", username);
      return NULL;
    }

  if (self_uid != 0 && pw->pw_uid != self_uid)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The guest does not run as root and cannot act as “%s”", username);
      return NULL;
    }

  return user_from_passwd (pw);
}

VivEnvdUser *
viv_envd_user_from_request (VivGuest           *guest,
                            SoupServerMessage  *msg,
                            GError            **error)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  g_autofree guchar *decoded = NULL;
  g_autofree char *name = NULL;
  gsize length = 0;
  char *colon;

  if (authorization == NULL)
    return viv_envd_user_lookup (guest, NULL, error);

  if (g_ascii_strncasecmp (authorization, "Basic ", 6) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "Only Basic authorization names a user");
      return NULL;
    }

  decoded = g_base64_decode (authorization + 6, &length);
  name = g_strndup ((const char *) decoded, length);
  if (!g_utf8_validate (name, -1, NULL) || (colon = strchr (name, ':')) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "The Authorization header is not user:password in base64");
      return NULL;
    }
  *colon = '\0';

  return viv_envd_user_lookup (guest, name, error);
}

char *
viv_envd_resolve_path (const VivEnvdUser  *user,
                       const char         *path,
                       GError            **error)
{
  g_autofree char *joined = NULL;

  if (path == NULL || *path == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "The path is empty");
      return NULL;
    }

  if (strcmp (path, "~") == 0)
    joined = g_strdup (user->home);
  else if (g_str_has_prefix (path, "~/"))
    joined = g_build_filename (user->home, path + 2, NULL);
  else if (g_path_is_absolute (path))
    joined = g_strdup (path);
  else
    joined = g_build_filename (user->home, path, NULL);

  return g_canonicalize_filename (joined, "/");
}

GStrv
viv_envd_process_environment (VivGuest          *guest,
                              const VivEnvdUser *user,
                              const char        *cwd,
                              GHashTable        *extra)
{
  VivEnvdState *state = viv_envd_state_get (guest);
  g_auto (GStrv) environment = g_get_environ ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, state->env_vars);
  while (g_hash_table_iter_next (&iter, &key, &value))
    environment = g_environ_setenv (environment, key, value, TRUE);

  environment = g_environ_setenv (environment, "HOME", user->home, TRUE);
  environment = g_environ_setenv (environment, "USER", user->name, TRUE);
  environment = g_environ_setenv (environment, "LOGNAME", user->name, TRUE);
  environment = g_environ_setenv (environment, "SHELL", user->shell, TRUE);
  if (cwd != NULL)
    environment = g_environ_setenv (environment, "PWD", cwd, TRUE);

  if (extra != NULL)
    {
      g_hash_table_iter_init (&iter, extra);
      while (g_hash_table_iter_next (&iter, &key, &value))
        environment = g_environ_setenv (environment, key, value, TRUE);
    }

  return g_steal_pointer (&environment);
}
