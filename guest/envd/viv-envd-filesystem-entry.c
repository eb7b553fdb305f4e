/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "viv-envd-filesystem.h"

const char * const viv_file_type_names[4] = {
  "FILE_TYPE_UNSPECIFIED",
  "FILE_TYPE_FILE",
  "FILE_TYPE_DIRECTORY",
  "FILE_TYPE_SYMLINK",
};

VivEnvdIdentity *
viv_envd_identity_new (const VivEnvdUser *user)
{
  VivEnvdIdentity *identity = g_new0 (VivEnvdIdentity, 1);

  identity->name = g_strdup (user->name);
  identity->home = g_strdup (user->home);
  identity->uid = user->uid;
  identity->gid = user->gid;
  return identity;
}

void
viv_envd_identity_free (VivEnvdIdentity *identity)
{
  if (identity == NULL)
    return;

  g_free (identity->name);
  g_free (identity->home);
  g_free (identity);
}

gboolean
viv_envd_identity_enter (const VivEnvdIdentity *identity)
{
  gid_t groups[256];
  int n_groups = G_N_ELEMENTS (groups);

  if (geteuid () != 0 || identity->uid == 0)
    return FALSE;

  if (getgrouplist (identity->name, identity->gid, groups, &n_groups) < 0)
    {
      groups[0] = identity->gid;
      n_groups = 1;
    }

  /* glibc's setgroups () changes every thread; the system call only this one. */
  syscall (SYS_setgroups, (size_t) n_groups, groups);
  setfsgid (identity->gid);
  setfsuid (identity->uid);
  return TRUE;
}

void
viv_envd_identity_leave (gboolean switched)
{
  gid_t root_group = 0;

  if (!switched)
    return;

  setfsuid (0);
  setfsgid (getegid ());
  syscall (SYS_setgroups, (size_t) 1, &root_group);
}

void
viv_envd_set_errno_error (GError     **error,
                          int          saved_errno,
                          const char  *path)
{
  GIOErrorEnum code = g_io_error_from_errno (saved_errno);

  if (saved_errno == ENOENT)
    g_set_error (error, G_IO_ERROR, code, "%s: no such file or directory", path);
  else
    g_set_error (error, G_IO_ERROR, code, "%s: %s", path, g_strerror (saved_errno));
}

VivFileType
viv_envd_file_type_for_mode (mode_t mode)
{
  if (S_ISDIR (mode))
    return VIV_FILE_TYPE_DIRECTORY;
  if (S_ISLNK (mode))
    return VIV_FILE_TYPE_SYMLINK;
  if (S_ISREG (mode))
    return VIV_FILE_TYPE_FILE;
  return VIV_FILE_TYPE_UNSPECIFIED;
}

GHashTable *
viv_envd_name_cache_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static const char *
cached_name (GHashTable *cache,
             gboolean    group,
             guint       id)
{
  g_autofree char *key = g_strdup_printf ("%c%u", group ? 'g' : 'u', id);
  char *name = g_hash_table_lookup (cache, key);
  char buffer[4096];

  if (name != NULL)
    return name;

  if (group)
    {
      struct group storage, *result = NULL;

      getgrgid_r (id, &storage, buffer, sizeof buffer, &result);
      name = result ? g_strdup (result->gr_name) : g_strdup_printf ("%u", id);
    }
  else
    {
      struct passwd storage, *result = NULL;

      getpwuid_r (id, &storage, buffer, sizeof buffer, &result);
      name = result ? g_strdup (result->pw_name) : g_strdup_printf ("%u", id);
    }

  g_hash_table_insert (cache, g_steal_pointer (&key), name);
  return name;
}

/* Go's os.FileMode.String (), which envd sends as "permissions". */
static char *
go_mode_string (mode_t mode)
{
  GString *text = g_string_new (NULL);
  const char *rwx = "rwxrwxrwx";

  if (S_ISDIR (mode))
    g_string_append_c (text, 'd');
  if (S_ISLNK (mode))
    g_string_append_c (text, 'L');
  if (S_ISBLK (mode))
    g_string_append_c (text, 'D');
  if (S_ISCHR (mode))
    g_string_append (text, "Dc");
  if (S_ISFIFO (mode))
    g_string_append_c (text, 'p');
  if (S_ISSOCK (mode))
    g_string_append_c (text, 'S');
  if (mode & S_ISUID)
    g_string_append_c (text, 'u');
  if (mode & S_ISGID)
    g_string_append_c (text, 'g');
  if (mode & S_ISVTX)
    g_string_append_c (text, 't');
  if (text->len == 0)
    g_string_append_c (text, '-');

  for (int i = 0; i < 9; i++)
    g_string_append_c (text, (mode & (1 << (8 - i))) ? rwx[i] : '-');

  return g_string_free (text, FALSE);
}

/* google.protobuf.Timestamp in JSON: RFC 3339, UTC, 0, 3, 6 or 9 fraction digits. */
static char *
format_timestamp (const struct timespec *time)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (time->tv_sec);
  g_autofree char *seconds = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S");
  long nsec = time->tv_nsec;

  if (nsec == 0)
    return g_strdup_printf ("%sZ", seconds);
  if (nsec % 1000000 == 0)
    return g_strdup_printf ("%s.%03ldZ", seconds, nsec / 1000000);
  if (nsec % 1000 == 0)
    return g_strdup_printf ("%s.%06ldZ", seconds, nsec / 1000);
  return g_strdup_printf ("%s.%09ldZ", seconds, nsec);
}

/* File metadata (envd ≥ 0.6.2) lives in user.<key> extended attributes; the
 * upload side (viv-envd-http.c) writes them. */
static JsonObject *
read_metadata (const char *path)
{
  g_autofree char *names = NULL;
  JsonObject *metadata = NULL;
  ssize_t length;

  length = llistxattr (path, NULL, 0);
  if (length <= 0)
    return NULL;

  names = g_malloc (length);
  length = llistxattr (path, names, length);
  for (ssize_t offset = 0; length > 0 && offset < length; offset += strlen (names + offset) + 1)
    {
      const char *name = names + offset;
      char value[4096];
      ssize_t value_length;

      if (!g_str_has_prefix (name, "user.") || name[5] == '\0')
        continue;

      value_length = lgetxattr (path, name, value, sizeof value - 1);
      if (value_length < 0)
        continue;
      value[value_length] = '\0';
      if (!g_utf8_validate (value, value_length, NULL))
        continue;

      if (metadata == NULL)
        metadata = json_object_new ();
      json_object_set_string_member (metadata, name + 5, value);
    }

  return metadata;
}

JsonObject *
viv_envd_entry_info (const char  *path,
                     GHashTable  *name_cache,
                     GError     **error)
{
  g_autoptr (JsonObject) entry = json_object_new ();
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *permissions = NULL;
  g_autofree char *modified = NULL;
  JsonObject *metadata;
  struct stat st;

  if (lstat (path, &st) != 0)
    {
      viv_envd_set_errno_error (error, errno, path);
      return NULL;
    }

  permissions = go_mode_string (st.st_mode);
  modified = format_timestamp (&st.st_mtim);

  /* proto3 JSON leaves zero values out. */
  json_object_set_string_member (entry, "name", name);
  if (viv_envd_file_type_for_mode (st.st_mode) != VIV_FILE_TYPE_UNSPECIFIED)
    json_object_set_string_member (entry, "type",
                                   viv_file_type_names[viv_envd_file_type_for_mode (st.st_mode)]);
  json_object_set_string_member (entry, "path", path);
  if (st.st_size != 0)
    viv_connect_set_int64 (entry, "size", st.st_size);
  if ((st.st_mode & 0777) != 0)
    json_object_set_int_member (entry, "mode", st.st_mode & 0777);
  json_object_set_string_member (entry, "permissions", permissions);
  json_object_set_string_member (entry, "owner", cached_name (name_cache, FALSE, st.st_uid));
  json_object_set_string_member (entry, "group", cached_name (name_cache, TRUE, st.st_gid));
  json_object_set_string_member (entry, "modifiedTime", modified);

  if (S_ISLNK (st.st_mode))
    {
      g_autofree char *target = g_file_read_link (path, NULL);

      if (target != NULL)
        {
          g_autofree char *directory = g_path_get_dirname (path);
          g_autofree char *absolute = g_canonicalize_filename (target, directory);

          json_object_set_string_member (entry, "symlinkTarget", absolute);
        }
    }

  metadata = read_metadata (path);
  if (metadata != NULL)
    json_object_set_object_member (entry, "metadata", metadata);

  return g_steal_pointer (&entry);
}
