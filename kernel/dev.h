/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/smchan, the character device applications use.
 */
#ifndef _SMCHAN_DEV_H
#define _SMCHAN_DEV_H

int smchan_dev_init(void);
void smchan_dev_exit(void);

#endif /* _SMCHAN_DEV_H */
