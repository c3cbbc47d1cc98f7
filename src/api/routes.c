/* routes.c - the route table: every endpoint of docs/api.md, its auth and handler. */
#include "api/api.h"

static aff_route routes[] = {
    {"GET", "/r/:code", AFF_AUTH_NONE, aff_api_redirect, "redirect"},
    {"GET", "/postback", AFF_AUTH_NONE, aff_api_postback, "postback"},
    {"POST", "/postback", AFF_AUTH_NONE, aff_api_postback, "postback"},
    {"GET", "/px.gif", AFF_AUTH_NONE, aff_api_pixel, "pixel"},
    {"GET", "/healthz", AFF_AUTH_NONE, aff_api_healthz, "healthz"},
    {"GET", "/metrics", AFF_AUTH_NONE, aff_api_metrics, "metrics"},

    {"POST", "/v1/conversions", AFF_AUTH_ADMIN_OR_PROGRAM, aff_api_conversions_create, "conversions_create"},
    {"GET", "/v1/conversions", AFF_AUTH_ADMIN, aff_api_conversions_list, "conversions_list"},
    {"GET", "/v1/conversions/:id", AFF_AUTH_ADMIN, aff_api_conversions_get, "conversions_get"},
    {"POST", "/v1/conversions/:id/refund", AFF_AUTH_ADMIN, aff_api_conversions_refund, "conversions_refund"},
    {"POST", "/v1/conversions/:id/approve", AFF_AUTH_ADMIN, aff_api_conversions_approve, "conversions_approve"},
    {"POST", "/v1/conversions/:id/reject", AFF_AUTH_ADMIN, aff_api_conversions_reject, "conversions_reject"},
    {"POST", "/v1/conversions/bulk", AFF_AUTH_ADMIN, aff_api_conversions_bulk, "conversions_bulk"},

    {"POST", "/v1/programs", AFF_AUTH_ADMIN, aff_api_programs_create, "programs_create"},
    {"GET", "/v1/programs", AFF_AUTH_ADMIN, aff_api_programs_list, "programs_list"},
    {"GET", "/v1/programs/:id", AFF_AUTH_ADMIN, aff_api_programs_get, "programs_get"},
    {"PATCH", "/v1/programs/:id", AFF_AUTH_ADMIN, aff_api_programs_patch, "programs_patch"},
    {"GET", "/v1/programs/:id/caps", AFF_AUTH_ADMIN, aff_api_programs_caps, "programs_caps"},
    {"POST", "/v1/affiliates", AFF_AUTH_ADMIN, aff_api_affiliates_create, "affiliates_create"},
    {"GET", "/v1/affiliates", AFF_AUTH_ADMIN, aff_api_affiliates_list, "affiliates_list"},
    {"GET", "/v1/affiliates/:id", AFF_AUTH_ADMIN, aff_api_affiliates_get, "affiliates_get"},
    {"PATCH", "/v1/affiliates/:id", AFF_AUTH_ADMIN, aff_api_affiliates_patch, "affiliates_patch"},
    {"POST", "/v1/links", AFF_AUTH_ADMIN, aff_api_links_create, "links_create"},
    {"GET", "/v1/links", AFF_AUTH_ADMIN, aff_api_links_list, "links_list"},
    {"GET", "/v1/links/:id", AFF_AUTH_ADMIN, aff_api_links_get, "links_get"},
    {"PATCH", "/v1/links/:id", AFF_AUTH_ADMIN, aff_api_links_patch, "links_patch"},
    {"POST", "/v1/coupons", AFF_AUTH_ADMIN, aff_api_coupons_create, "coupons_create"},
    {"GET", "/v1/coupons", AFF_AUTH_ADMIN, aff_api_coupons_list, "coupons_list"},
    {"GET", "/v1/coupons/:id", AFF_AUTH_ADMIN, aff_api_coupons_get, "coupons_get"},
    {"PATCH", "/v1/coupons/:id", AFF_AUTH_ADMIN, aff_api_coupons_patch, "coupons_patch"},
    {"GET", "/v1/clicks", AFF_AUTH_ADMIN, aff_api_clicks_list, "clicks_list"},
    {"GET", "/v1/clicks/:id", AFF_AUTH_ADMIN, aff_api_clicks_get, "clicks_get"},
    {"GET", "/v1/commissions", AFF_AUTH_ADMIN, aff_api_commissions_list, "commissions_list"},
    {"POST", "/v1/commissions/approve", AFF_AUTH_ADMIN, aff_api_commissions_approve, "commissions_approve"},
    {"GET", "/v1/balances", AFF_AUTH_ADMIN, aff_api_balances, "balances"},
    {"GET", "/v1/review", AFF_AUTH_ADMIN, aff_api_review, "review"},
    {"GET", "/v1/payouts", AFF_AUTH_ADMIN, aff_api_payouts_list, "payouts_list"},
    {"POST", "/v1/payouts/run", AFF_AUTH_ADMIN, aff_api_payouts_run, "payouts_run"},
    {"GET", "/v1/payouts/:id", AFF_AUTH_ADMIN, aff_api_payouts_get, "payouts_get"},
    {"POST", "/v1/payouts/:id/paid", AFF_AUTH_ADMIN, aff_api_payouts_paid, "payouts_paid"},
    {"POST", "/v1/payouts/:id/failed", AFF_AUTH_ADMIN, aff_api_payouts_failed, "payouts_failed"},
    {"GET", "/v1/payout-runs", AFF_AUTH_ADMIN, aff_api_payout_runs_list, "payout_runs_list"},
    {"GET", "/v1/payout-runs/:id/export", AFF_AUTH_ADMIN, aff_api_payout_runs_export, "payout_runs_export"},
    {"GET", "/v1/reports", AFF_AUTH_ADMIN, aff_api_reports, "reports"},

    {"POST", "/v1/session", AFF_AUTH_NONE, aff_api_session_create, "session_create"},
    {"GET", "/v1/session", AFF_AUTH_ANY, aff_api_session_get, "session_get"},
    {"DELETE", "/v1/session", AFF_AUTH_ANY, aff_api_session_delete, "session_delete"},
    {"POST", "/v1/signup", AFF_AUTH_NONE, aff_api_signup, "signup"},
    {"POST", "/v1/users", AFF_AUTH_ADMIN, aff_api_users_create, "users_create"},
    {"GET", "/v1/users", AFF_AUTH_ADMIN, aff_api_users_list, "users_list"},

    {"GET", "/v1/me", AFF_AUTH_AFFILIATE, aff_api_me, "me"},
    {"GET", "/v1/me/links", AFF_AUTH_AFFILIATE, aff_api_me_links_list, "me_links_list"},
    {"POST", "/v1/me/links", AFF_AUTH_AFFILIATE, aff_api_me_links_create, "me_links_create"},
    {"GET", "/v1/me/links/:id", AFF_AUTH_AFFILIATE, aff_api_me_links_get, "me_links_get"},
    {"GET", "/v1/me/reports", AFF_AUTH_AFFILIATE, aff_api_me_reports, "me_reports"},
    {"GET", "/v1/me/coupons", AFF_AUTH_AFFILIATE, aff_api_coupons_list, "me_coupons"},
    {"GET", "/v1/me/commissions", AFF_AUTH_AFFILIATE, aff_api_me_commissions, "me_commissions"},
    {"GET", "/v1/me/payouts", AFF_AUTH_AFFILIATE, aff_api_me_payouts, "me_payouts"},
    {"GET", "/v1/me/payouts/:id", AFF_AUTH_AFFILIATE, aff_api_me_payouts_get, "me_payouts_get"},
    {"GET", "/v1/me/balance", AFF_AUTH_AFFILIATE, aff_api_me_balance, "me_balance"},
    {"GET", "/v1/me/conversions", AFF_AUTH_AFFILIATE, aff_api_me_conversions, "me_conversions"},
};

static aff_routes table = {routes, sizeof(routes) / sizeof(routes[0])};

aff_routes *aff_api_routes(void)
{
    return &table;
}
