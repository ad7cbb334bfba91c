-- pg_dump's spelling: quoted names and types, constraints added after the table.
SET statement_timeout = 0;
SET row_security = off;
CREATE TABLE IF NOT EXISTS "public"."Teams" ("id" "uuid" NOT NULL, "slug" "text" NOT NULL, "owner" "uuid");
ALTER TABLE ONLY "public"."Teams" ADD CONSTRAINT "Teams_pkey" PRIMARY KEY ("id");
ALTER TABLE ONLY "public"."Teams" ADD CONSTRAINT "Teams_slug_key" UNIQUE ("slug");
CREATE UNIQUE INDEX "teams_slug_again" ON "public"."Teams" USING "btree" ("slug");
ALTER TABLE "public"."Teams" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Owners" ON "public"."Teams" FOR SELECT TO "authenticated" USING (("auth"."uid"() = "owner"));
CREATE OR REPLACE FUNCTION "public"."touch"("team" "uuid", "label" character varying(40)) RETURNS "void"
    LANGUAGE "sql" SECURITY DEFINER
    AS $$ select 1 $$;
CREATE OR REPLACE FUNCTION "public"."stale"("team" "uuid") RETURNS "void"
    LANGUAGE "sql"
    AS $$ select 1 $$;
REVOKE ALL ON FUNCTION "public"."touch"("team" "uuid", "label" character varying) FROM PUBLIC;
