-- Lead scoring (core/scoring): bulk re-scoring walks an organization's contacts in id order,
-- batch by batch (`where org_id = $1 and id > $2 order by id limit $3`). The primary key alone
-- would scan every other organization's rows too; this index makes each batch a range read.

create index contacts_org_id_keyset on contacts(org_id, id);
