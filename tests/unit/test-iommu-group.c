/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests IOMMU group viability over a fixture tree built from the VM's iommu captures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend-vfio.h"
#include "iommu-group.h"
#include "macro.h"
#include "pci-device.h"
#include "strv.h"

static char root[] = "/tmp/udrv-iommu-XXXXXX";
static char tree[sizeof(root) + 2];

/* The captured q35 bed, plus groups that the bed does not have, made of captured functions:
 *   7  ICH9 00:1f.0 lpc_ich, 00:1f.2 ahci with a mounted disk, 00:1f.3 unbound (as captured,
 *      the real multi-function group)
 *   20 05:00.0 edu (unbound), 05:00.1 SMBus on i801_smbus
 *   21 06:00.0 edu, 06:00.1 on vfio-pci, 06:00.2 on pci-stub, 06:00.3 a root port on pcieport
 *   22 07:00.0 edu, 07:00.1 SMBus on i801_smbus, 07:00.2 SATA on ahci with a disk that is
 *      not mounted */
static const char spec[] =
	"{\"captures\": \"%s/tests/fixtures/captures/iommu\",\n"
	" \"overrides\": {\n"
	"  \"0000:00:1f.0\": {\"driver\": \"lpc_ich\"},\n"
	"  \"0000:00:1f.2\": {\"driver\": \"ahci\",\n"
	"   \"block\": {\"name\": \"sda\", \"dev\": \"8:0\", \"mounted\": true}}},\n"
	" \"functions\": [\n"
	"  {\"capture\": \"%s/tests/fixtures/captures/iommu/0000:01:00.0\", \"slot\": "
	"\"0000:05:00.0\", \"iommu_group\": 20},\n"
	"  {\"capture\": \"%s/tests/fixtures/captures/iommu/0000:00:1f.3\", \"slot\": "
	"\"0000:05:00.1\", \"iommu_group\": 20, \"driver\": \"i801_smbus\"},\n"
	"  {\"capture\": \"%s/tests/fixtures/captures/iommu/0000:01:00.0\", \"slot\": "
	"\"0000:06:00.0\", \"iommu_group\": 21},\n"
	"  {\"capture\": \"%s/tests/fixtures/captures/iommu/0000:01:00.0\", \"slot\": "
	"\"0000:06:00.1\", \"iommu_group\": 21, \"driver\": \"vfio-pci\"},\n"
	"  {\"capture\": \"%s/tests/fixtures/captures/iommu/0000:01:00.0\", \"slot\": "
	"\"0000:06:00.2\", \"iommu_group\": 21, \"driver\": \"pci-stub\"},\n"
	"  {\"capture\": \"%s/tests/fixtures/captures/iommu/0000:00:03.0\", \"slot\": "
	"\"0000:06:00.3\", \"iommu_group\": 21, \"driver\": \"pcieport\"},\n"
	"  {\"capture\": \"%s/tests/fixtures/captures/iommu/0000:01:00.0\", \"slot\": "
	"\"0000:07:00.0\", \"iommu_group\": 22},\n"
	"  {\"capture\": \"%s/tests/fixtures/captures/iommu/0000:00:1f.3\", \"slot\": "
	"\"0000:07:00.1\", \"iommu_group\": 22, \"driver\": \"i801_smbus\"},\n"
	"  {\"capture\": \"%s/tests/fixtures/captures/iommu/0000:00:1f.2\", \"slot\": "
	"\"0000:07:00.2\", \"iommu_group\": 22, \"driver\": \"ahci\","
	" \"block\": {\"name\": \"sdb\", \"dev\": \"8:16\"}}\n"
	" ]}\n";

static int setup(void **state)
{
	_cleanup_free_ char *cmd = NULL, *path = NULL;
	const char *s = getenv("UDRV_SRCDIR");
	FILE *f;

	if (!s || !mkdtemp(root) || asprintf(&path, "%s/spec.json", root) < 0)
		return -1;
	snprintf(tree, sizeof(tree), "%s/t", root);
	f = fopen(path, "we");
	if (!f)
		return -1;
	fprintf(f, spec, s, s, s, s, s, s, s, s, s, s);
	fclose(f);
	if (asprintf(&cmd, "python3 '%s/tests/fixtures/mkfixture.py' tree '%s' '%s'", s, tree,
		     path) < 0)
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	_cleanup_free_ char *cmd = NULL;

	if (asprintf(&cmd, "rm -rf '%s'", root) < 0)
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

static struct iommu_group *group_of(const char *slot)
{
	_cleanup_(pci_device_freep) struct pci_device *d = NULL;
	struct iommu_group *g = NULL;

	assert_int_equal(pci_device_read(tree, slot, &d), 0);
	assert_int_equal(iommu_group_read(tree, d, &g), 0);
	return g;
}

static const struct iommu_member *member(const struct iommu_group *g, const char *slot)
{
	for (size_t i = 0; i < g->n_members; i++)
		if (streq(g->members[i].slot, slot))
			return &g->members[i];
	fail_msg("%s is not in group %d", slot, g->number);
	return NULL;
}

static void test_classify(void **state)
{
	assert_int_equal(iommu_member_classify(0x0c0500, NULL, false), IOMMU_MEMBER_UNBOUND);
	assert_int_equal(iommu_member_classify(0x020000, "vfio-pci", false), IOMMU_MEMBER_VFIO);
	assert_int_equal(iommu_member_classify(0x020000, "mlx5_vfio_pci", false),
			 IOMMU_MEMBER_VFIO);
	assert_int_equal(iommu_member_classify(0x020000, "pci-stub", false), IOMMU_MEMBER_STUB);
	assert_int_equal(iommu_member_classify(0x060400, "pcieport", false), IOMMU_MEMBER_BRIDGE);
	/* pcieport on something that is not a bridge cannot happen; do not trust it */
	assert_int_equal(iommu_member_classify(0x020000, "pcieport", false), IOMMU_MEMBER_DRIVER);
	/* an ISA bridge on lpc_ich uses the DMA API: the kernel refuses the group */
	assert_int_equal(iommu_member_classify(0x060100, "lpc_ich", false), IOMMU_MEMBER_DRIVER);
	assert_int_equal(iommu_member_classify(0x010601, "ahci", true), IOMMU_MEMBER_IN_USE);
	assert_int_equal(iommu_member_classify(0x0c0500, "i801_smbus", false), IOMMU_MEMBER_DRIVER);
}

/* The real ICH9 group as captured: three functions, none bound. */
static void test_captured_group_7(void **state)
{
	_cleanup_(pci_device_freep) struct pci_device *d = NULL;
	_cleanup_free_ char *why = NULL;
	_cleanup_strv_free_ char **unbind = NULL;
	struct iommu_group *g;
	char plain[sizeof(root) + 8];

	/* a second tree, the capture untouched */
	snprintf(plain, sizeof(plain), "%s/p", root);
	{
		_cleanup_free_ char *cmd = NULL;

		assert_true(asprintf(&cmd,
				     "python3 '%s/tests/fixtures/mkfixture.py' tree '%s' "
				     "'%s/tests/fixtures/q35-iommu.json'",
				     getenv("UDRV_SRCDIR"), plain, getenv("UDRV_SRCDIR")) > 0);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(pci_device_read(plain, "0000:00:1f.2", &d), 0);
	assert_int_equal(iommu_group_read(plain, d, &g), 0);
	assert_int_equal(g->number, 7);
	assert_int_equal(g->n_members, 2);
	assert_string_equal(g->members[0].slot, "0000:00:1f.0");
	assert_int_equal(g->members[0].state, IOMMU_MEMBER_UNBOUND);
	assert_string_equal(g->members[1].slot, "0000:00:1f.3");
	assert_int_equal(g->members[1].state, IOMMU_MEMBER_UNBOUND);
	assert_int_equal(iommu_group_check(g, 0, &unbind, &why), 1);
	assert_null(unbind);
	assert_null(why);
	assert_int_equal(iommu_group_check(g, IOMMU_CHECK_NODE, NULL, &why), 1);
	iommu_group_free(g);
}

/* Group 7 with the ISA bridge on lpc_ich and the SATA controller holding a mounted disk. */
static void test_offenders_named(void **state)
{
	_cleanup_free_ char *why = NULL, *why2 = NULL;
	_cleanup_strv_free_ char **unbind = NULL;
	struct iommu_group *g = group_of("0000:00:1f.3");

	assert_int_equal(member(g, "0000:00:1f.0")->state, IOMMU_MEMBER_DRIVER);
	assert_int_equal(member(g, "0000:00:1f.2")->state, IOMMU_MEMBER_IN_USE);
	assert_int_equal(iommu_group_check(g, 0, &unbind, &why), 0);
	assert_null(unbind);
	assert_string_equal(why,
			    "IOMMU group 7 is not viable: 0000:00:1f.0 is bound to lpc_ich, "
			    "0000:00:1f.2 (driver ahci) is in use: block device sda is "
			    "mounted; unbind them first, or set GroupUnbind=yes in the policy");
	/* GroupUnbind=yes unbinds lpc_ich's function but never a disk in use */
	assert_int_equal(iommu_group_check(g, IOMMU_CHECK_UNBIND, &unbind, &why2), 0);
	assert_null(unbind);
	assert_string_equal(why2, "IOMMU group 7 is not viable: 0000:00:1f.2 (driver ahci) is in "
				  "use: block device sda is mounted");
	iommu_group_free(g);
}

static void test_group_unbind(void **state)
{
	_cleanup_free_ char *why = NULL;
	_cleanup_strv_free_ char **unbind = NULL;
	struct iommu_group *g = group_of("0000:05:00.0");

	assert_int_equal(g->number, 20);
	assert_int_equal(g->n_members, 1);
	assert_int_equal(iommu_group_check(g, 0, NULL, &why), 0);
	assert_string_equal(why, "IOMMU group 20 is not viable: 0000:05:00.1 is bound to "
				 "i801_smbus; unbind them first, or set GroupUnbind=yes in the "
				 "policy");
	assert_int_equal(iommu_group_check(g, IOMMU_CHECK_UNBIND, &unbind, NULL), 1);
	assert_int_equal(strv_length(unbind), 1);
	assert_string_equal(unbind[0], "0000:05:00.1");
	iommu_group_free(g);
}

/* vfio-pci, pci-stub and a bridge on pcieport are fine for the kernel; in node mode the
 * member on vfio-pci would be reachable through /dev/vfio/21. */
static void test_benign_members_and_node_mode(void **state)
{
	_cleanup_free_ char *why = NULL;
	_cleanup_strv_free_ char **unbind = NULL;
	struct iommu_group *g = group_of("0000:06:00.0");

	assert_int_equal(g->n_members, 3);
	assert_int_equal(member(g, "0000:06:00.1")->state, IOMMU_MEMBER_VFIO);
	assert_int_equal(member(g, "0000:06:00.2")->state, IOMMU_MEMBER_STUB);
	assert_int_equal(member(g, "0000:06:00.3")->state, IOMMU_MEMBER_BRIDGE);
	assert_int_equal(iommu_group_check(g, 0, &unbind, NULL), 1);
	assert_null(unbind);
	assert_int_equal(iommu_group_check(g, IOMMU_CHECK_NODE | IOMMU_CHECK_UNBIND, &unbind, &why),
			 0);
	assert_string_equal(why, "IOMMU group 21 is not viable: 0000:06:00.1 is bound to vfio-pci, "
				 "so the holder of /dev/vfio/21 could open it");
	iommu_group_free(g);
}

/* A disk that is not mounted is not in use: GroupUnbind=yes may take its controller. */
static void test_unbind_several(void **state)
{
	_cleanup_strv_free_ char **unbind = NULL;
	struct iommu_group *g = group_of("0000:07:00.0");

	assert_int_equal(iommu_group_check(g, IOMMU_CHECK_UNBIND, &unbind, NULL), 1);
	assert_int_equal(strv_length(unbind), 2);
	assert_string_equal(unbind[0], "0000:07:00.1");
	assert_string_equal(unbind[1], "0000:07:00.2");
	iommu_group_free(g);
}

/* Functions alone in their group, and vfio_dev_check()'s words for the user. */
static void test_backend_check(void **state)
{
	_cleanup_(pci_device_freep) struct pci_device *nic = NULL, *smbus = NULL;
	_cleanup_free_ char *why = NULL, *why2 = NULL;
	struct policy_grant g = {.group_unbind = false};

	assert_int_equal(pci_device_read(tree, "0000:02:00.0", &nic), 0);
	assert_true(vfio_dev_usable(nic));
	assert_int_equal(vfio_dev_check(tree, nic, &g, false, &why), 1);
	assert_int_equal(vfio_dev_check(tree, nic, &g, true, &why), 1);
	assert_null(why);
	assert_int_equal(pci_device_read(tree, "0000:05:00.1", &smbus), 0);
	assert_int_equal(vfio_dev_check(tree, smbus, &g, false, &why2),
			 1); /* its peer is unbound */
	g.group_unbind = true;
	assert_int_equal(vfio_dev_check(tree, smbus, &g, true, &why2), 1);
}

static void test_no_group(void **state)
{
	struct pci_device d = {.slot = "0000:00:02.0", .iommu_group = -1};
	struct policy_grant g = {};
	_cleanup_free_ char *why = NULL;
	struct iommu_group *grp = NULL;

	assert_false(vfio_dev_usable(&d));
	assert_int_equal(iommu_group_read(tree, &d, &grp), -ENODEV);
	assert_int_equal(vfio_dev_check(tree, &d, &g, false, &why), 0);
	assert_string_equal(why, "0000:00:02.0 has no IOMMU group: VFIO needs an IOMMU");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_captured_group_7),
		cmocka_unit_test(test_offenders_named),
		cmocka_unit_test(test_group_unbind),
		cmocka_unit_test(test_benign_members_and_node_mode),
		cmocka_unit_test(test_unbind_several),
		cmocka_unit_test(test_backend_check),
		cmocka_unit_test(test_no_group),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
