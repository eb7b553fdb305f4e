/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "viv-template.h"

#define GROUP "Template"

const char *
viv_template_default_session (void)
{
  g_autofree char *xfce = g_find_program_in_path ("startxfce4");

  /* E2B's desktop template runs xfce4; openbox is the light fallback. */
  return xfce != NULL ? "xfce" : "openbox";
}

gboolean
viv_template_name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0' || strlen (name) > 64)
    return FALSE;

  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;

  return TRUE;
}

VivTemplate *
viv_template_new_builtin (const char *name)
{
  VivTemplate *self;

  if (g_strcmp0 (name, "base") != 0 && g_strcmp0 (name, "desktop") != 0)
    return NULL;

  self = g_new0 (VivTemplate, 1);
  self->name = g_strdup (name);
  self->width = 1024;
  self->height = 768;
  self->env = g_new0 (char *, 1);
  self->cpu_count = 2;
  self->memory_mb = 512;
  self->disk_mb = 2048;

  if (g_str_equal (name, "desktop"))
    {
      self->session = g_strdup (viv_template_default_session ());
      self->memory_mb = 2048;
    }

  return self;
}

static gboolean
parse_resolution (const char *text,
                  int        *width,
                  int        *height)
{
  g_auto (GStrv) parts = g_strsplit (text, "x", 3);
  guint64 w, h;

  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 64, 8192, &w, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 64, 8192, &h, NULL))
    return FALSE;

  *width = (int) w;
  *height = (int) h;
  return TRUE;
}

static gboolean
get_optional_int (GKeyFile    *file,
                  const char  *key,
                  int          min,
                  int          max,
                  int         *out,
                  GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  int value;

  if (!g_key_file_has_key (file, GROUP, key, NULL))
    return TRUE;

  value = g_key_file_get_integer (file, GROUP, key, &local_error);
  if (local_error != NULL || value < min || value > max)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s must be a number from %d to %d", key, min, max);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

VivTemplate *
viv_template_load (const char  *templates_dir,
                   const char  *name,
                   GError     **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (VivTemplate) self = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *path = NULL;
  g_autofree char *layer = NULL;
  g_autofree char *resolution = NULL;

  if (!viv_template_name_is_valid (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a valid template name", name);
      return NULL;
    }

  filename = g_strconcat (name, ".template", NULL);
  path = g_build_filename (templates_dir, filename, NULL);
  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error))
    return NULL;
  if (!g_key_file_has_group (file, GROUP))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                   "%s has no [%s] group", path, GROUP);
      return NULL;
    }

  self = viv_template_new_builtin ("base");
  g_free (self->name);
  self->name = g_strdup (name);

  self->session = g_key_file_get_string (file, GROUP, "Session", NULL);
  if (self->session != NULL &&
      !g_strv_contains ((const char *[]) { "openbox", "xfce", "none", NULL }, self->session))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: Session must be openbox, xfce or none", path);
      return NULL;
    }

  resolution = g_key_file_get_string (file, GROUP, "Resolution", NULL);
  if (resolution != NULL && !parse_resolution (resolution, &self->width, &self->height))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: Resolution must look like 1280x800", path);
      return NULL;
    }

  if (g_key_file_has_key (file, GROUP, "Env", NULL))
    {
      g_strfreev (self->env);
      self->env = g_key_file_get_string_list (file, GROUP, "Env", NULL, NULL);
      for (guint i = 0; self->env[i] != NULL; i++)
        if (strchr (self->env[i], '=') == NULL || self->env[i][0] == '=')
          {
            g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                         "%s: Env entries must be NAME=VALUE", path);
            return NULL;
          }
    }

  if (!get_optional_int (file, "CpuCount", 1, 256, &self->cpu_count, error) ||
      !get_optional_int (file, "MemoryMB", 64, 1024 * 1024, &self->memory_mb, error) ||
      !get_optional_int (file, "DiskMB", 64, 16 * 1024 * 1024, &self->disk_mb, error))
    return NULL;

  if (g_key_file_get_boolean (file, GROUP, "Layer", NULL))
    self->layer_dir = g_build_filename (templates_dir, name, NULL);

  return g_steal_pointer (&self);
}

gboolean
viv_template_save (VivTemplate  *self,
                   const char   *templates_dir,
                   GError      **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autofree char *filename = g_strconcat (self->name, ".template", NULL);
  g_autofree char *path = g_build_filename (templates_dir, filename, NULL);
  g_autofree char *resolution = g_strdup_printf ("%dx%d", self->width, self->height);

  if (self->session != NULL)
    g_key_file_set_string (file, GROUP, "Session", self->session);
  g_key_file_set_string (file, GROUP, "Resolution", resolution);
  g_key_file_set_string_list (file, GROUP, "Env", (const char * const *) self->env,
                              g_strv_length (self->env));
  g_key_file_set_integer (file, GROUP, "CpuCount", self->cpu_count);
  g_key_file_set_integer (file, GROUP, "MemoryMB", self->memory_mb);
  g_key_file_set_integer (file, GROUP, "DiskMB", self->disk_mb);
  g_key_file_set_boolean (file, GROUP, "Layer", self->layer_dir != NULL);

  if (g_mkdir_with_parents (templates_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot create %s: %s", templates_dir, g_strerror (errno));
      return FALSE;
    }

  return g_key_file_save_to_file (file, path, error);
}

void
viv_template_free (VivTemplate *self)
{
  if (self == NULL)
    return;

  g_free (self->name);
  g_free (self->session);
  g_strfreev (self->env);
  g_free (self->layer_dir);
  g_free (self);
}

GHashTable *
viv_template_load_all (const char *templates_dir)
{
  GHashTable *templates = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                 (GDestroyNotify) viv_template_free);
  g_autoptr (GDir) dir = NULL;
  const char *entry;

  for (guint i = 0; i < 2; i++)
    {
      VivTemplate *builtin = viv_template_new_builtin (i == 0 ? "base" : "desktop");

      g_hash_table_replace (templates, builtin->name, builtin);
    }

  dir = g_dir_open (templates_dir, 0, NULL);
  if (dir == NULL)
    return templates;

  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *name = NULL;
      VivTemplate *template;

      if (!g_str_has_suffix (entry, ".template"))
        continue;

      name = g_strndup (entry, strlen (entry) - strlen (".template"));
      if (g_hash_table_contains (templates, name))
        {
          g_warning ("Ignoring template %s: the name is built in", entry);
          continue;
        }

      template = viv_template_load (templates_dir, name, &error);
      if (template == NULL)
        {
          g_warning ("Ignoring template %s: %s", entry, error->message);
          continue;
        }

      g_hash_table_replace (templates, template->name, template);
    }

  return templates;
}
