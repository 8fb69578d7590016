#include "ttymodes.h"

#include <errno.h>
#include <string.h>

enum {
    TTY_OP_END = 0,
    TTY_OP_CS7 = 90,
    TTY_OP_CS8 = 91,
    TTY_OP_ISPEED = 128,
    TTY_OP_OSPEED = 129,
    TTY_OP_FIRST_UNDEFINED = 160
};

struct cc_op {
    uint8_t op;
    unsigned index;
};

static const struct cc_op cc_ops[] = {
    {1, VINTR},     {2, VQUIT},    {3, VERASE},  {4, VKILL},     {5, VEOF},
    {6, VEOL},      {7, VEOL2},    {8, VSTART},  {9, VSTOP},     {10, VSUSP},
    {12, VREPRINT}, {13, VWERASE}, {14, VLNEXT}, {18, VDISCARD},
};

enum flag_field { F_I, F_L, F_O, F_C };

struct flag_op {
    uint8_t op;
    enum flag_field field;
    tcflag_t bit;
};

static const struct flag_op flag_ops[] = {
    {30, F_I, IGNPAR}, {31, F_I, PARMRK},  {32, F_I, INPCK},  {33, F_I, ISTRIP},  {34, F_I, INLCR},
    {35, F_I, IGNCR},  {36, F_I, ICRNL},   {37, F_I, IUCLC},  {38, F_I, IXON},    {39, F_I, IXANY},
    {40, F_I, IXOFF},  {41, F_I, IMAXBEL}, {42, F_I, IUTF8},  {50, F_L, ISIG},    {51, F_L, ICANON},
    {52, F_L, XCASE},  {53, F_L, ECHO},    {54, F_L, ECHOE},  {55, F_L, ECHOK},   {56, F_L, ECHONL},
    {57, F_L, NOFLSH}, {58, F_L, TOSTOP},  {59, F_L, IEXTEN}, {60, F_L, ECHOCTL}, {61, F_L, ECHOKE},
    {62, F_L, PENDIN}, {70, F_O, OPOST},   {71, F_O, OLCUC},  {72, F_O, ONLCR},   {73, F_O, OCRNL},
    {74, F_O, ONOCR},  {75, F_O, ONLRET},  {92, F_C, PARENB}, {93, F_C, PARODD},
};

static speed_t baud_to_speed(uint32_t baud)
{
    static const struct {
        uint32_t baud;
        speed_t speed;
    } table[] = {{9600, B9600},     {19200, B19200},   {38400, B38400},   {57600, B57600},
                 {115200, B115200}, {230400, B230400}, {460800, B460800}, {921600, B921600}};
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].baud == baud)
            return table[i].speed;
    return B0;
}

static tcflag_t *field_of(struct termios *t, enum flag_field f)
{
    switch (f) {
    case F_I:
        return &t->c_iflag;
    case F_L:
        return &t->c_lflag;
    case F_O:
        return &t->c_oflag;
    default:
        return &t->c_cflag;
    }
}

static void apply_one(struct termios *t, uint8_t op, uint32_t arg)
{
    for (size_t i = 0; i < sizeof(cc_ops) / sizeof(cc_ops[0]); i++) {
        if (cc_ops[i].op == op) {
            /* 255 means "disabled" in the protocol, as _POSIX_VDISABLE (0) here. */
            t->c_cc[cc_ops[i].index] = arg == 255 ? 0 : (cc_t)arg;
            return;
        }
    }
    for (size_t i = 0; i < sizeof(flag_ops) / sizeof(flag_ops[0]); i++) {
        if (flag_ops[i].op == op) {
            tcflag_t *fl = field_of(t, flag_ops[i].field);
            if (arg)
                *fl |= flag_ops[i].bit;
            else
                *fl &= ~flag_ops[i].bit;
            return;
        }
    }
    /* CS7 and CS8 are values of the CSIZE field, not bits: a true one sets it. */
    if ((op == TTY_OP_CS7 || op == TTY_OP_CS8) && arg) {
        t->c_cflag = (t->c_cflag & ~CSIZE) | (op == TTY_OP_CS7 ? CS7 : CS8);
        return;
    }
    if (op == TTY_OP_ISPEED || op == TTY_OP_OSPEED) {
        speed_t s = baud_to_speed(arg);
        if (s == B0)
            return;
        if (op == TTY_OP_ISPEED)
            cfsetispeed(t, s);
        else
            cfsetospeed(t, s);
    }
}

int vs_ttymodes_apply(const uint8_t *data, size_t len, struct termios *t)
{
    struct termios work = *t;
    size_t i = 0;

    while (i < len) {
        uint8_t op = data[i++];
        if (op == TTY_OP_END || op >= TTY_OP_FIRST_UNDEFINED)
            break;
        if (len - i < 4)
            return -EINVAL;
        uint32_t arg = (uint32_t)data[i] << 24 | (uint32_t)data[i + 1] << 16 |
                       (uint32_t)data[i + 2] << 8 | data[i + 3];
        i += 4;
        apply_one(&work, op, arg);
    }
    *t = work;
    return 0;
}

void vs_ttymodes_defaults(struct termios *t)
{
    t->c_iflag |= IUTF8;
}
