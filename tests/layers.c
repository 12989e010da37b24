/* Nothing: tests/liblayers.la exists to link libmeshoverlay.la whole with
 * -z defs (Makefile.am), so that overlay/ calling into agent/ (or into any
 * library but libsodium and libc) fails the build. */
int mesh_layers_anchor(void);
int
mesh_layers_anchor(void)
{
	return 0;
}
