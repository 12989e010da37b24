dnl MESH_CHECK_CFLAG(FLAG, ACTION-IF-OK): does the compiler accept FLAG
dnl (with -Werror, so that an unknown warning flag is not taken silently)?
AC_DEFUN([MESH_CHECK_CFLAG], [
  AS_VAR_PUSHDEF([mesh_cv], [mesh_cv_cflag_$1])
  AC_CACHE_CHECK([whether $CC accepts $1], [mesh_cv], [
    mesh_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -Werror $1"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AS_VAR_SET([mesh_cv], [yes])], [AS_VAR_SET([mesh_cv], [no])])
    CFLAGS=$mesh_save_CFLAGS])
  AS_VAR_IF([mesh_cv], [yes], [$2])
  AS_VAR_POPDEF([mesh_cv])
])
dnl MESH_CHECK_LDFLAG(FLAG, ACTION-IF-OK)
AC_DEFUN([MESH_CHECK_LDFLAG], [
  AS_VAR_PUSHDEF([mesh_cv], [mesh_cv_ldflag_$1])
  AC_CACHE_CHECK([whether the linker accepts $1], [mesh_cv], [
    mesh_save_LDFLAGS=$LDFLAGS
    LDFLAGS="$LDFLAGS $1"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
      [AS_VAR_SET([mesh_cv], [yes])], [AS_VAR_SET([mesh_cv], [no])])
    LDFLAGS=$mesh_save_LDFLAGS])
  AS_VAR_IF([mesh_cv], [yes], [$2])
  AS_VAR_POPDEF([mesh_cv])
])
