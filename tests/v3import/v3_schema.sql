-- LuckyGas v3's tables that import_v3 reads, written from its SQLAlchemy models
-- (cheez95/LuckyGas-v3, backend/app/models/: gas_product.py, customer.py, customer_inventory.py,
-- order.py, order_item.py, order_template.py, user.py, vehicle.py, driver.py, invoice.py). SQLAlchemy stores Enum columns as PostgreSQL enums of
-- the member NAMES (upper case); plain String columns hold whatever the application wrote.
CREATE TYPE deliverymethod AS ENUM ('CYLINDER', 'FLOW');
CREATE TYPE productattribute AS ENUM ('REGULAR', 'COMMERCIAL', 'HAOYUN', 'PINGAN', 'XINGFU', 'SPECIAL');
CREATE TYPE orderstatus AS ENUM ('PENDING', 'CONFIRMED', 'ASSIGNED', 'IN_DELIVERY', 'DELIVERED', 'CANCELLED');
CREATE TYPE paymentstatus AS ENUM ('UNPAID', 'PAID', 'PARTIAL', 'REFUNDED');
CREATE TYPE userrole AS ENUM ('SUPER_ADMIN', 'MANAGER', 'OFFICE_STAFF', 'DRIVER', 'CUSTOMER');
CREATE TYPE vehicletype AS ENUM ('TRUCK_SMALL', 'TRUCK_MEDIUM', 'TRUCK_LARGE', 'VAN', 'MOTORCYCLE');
CREATE TYPE vehiclestatus AS ENUM ('ACTIVE', 'MAINTENANCE', 'RETIRED');
CREATE TYPE invoicestatus AS ENUM ('DRAFT', 'ISSUED', 'VOID', 'ALLOWANCE', 'CANCELLED');
CREATE TYPE invoicetype AS ENUM ('B2B', 'B2C', 'DONATION', 'PAPER');
CREATE TYPE invoicepaymentstatus AS ENUM ('PENDING', 'PARTIAL', 'PAID', 'OVERDUE', 'CANCELLED');
CREATE TYPE paymentmethod AS ENUM ('CASH', 'TRANSFER', 'CHECK', 'CREDIT_CARD', 'MONTHLY');

CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar NOT NULL UNIQUE,
    username varchar NOT NULL UNIQUE,
    full_name varchar NOT NULL,
    hashed_password varchar NOT NULL,
    is_active boolean DEFAULT true,
    role userrole NOT NULL DEFAULT 'OFFICE_STAFF',
    two_factor_enabled boolean DEFAULT false,
    two_factor_secret varchar,
    last_login timestamptz,
    password_changed_at timestamptz,
    failed_login_attempts integer DEFAULT 0,
    locked_until timestamptz,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz
);

CREATE TABLE vehicles (
    id serial PRIMARY KEY,
    vehicle_number varchar(50) NOT NULL UNIQUE,
    license_plate varchar(20) NOT NULL UNIQUE,
    vehicle_type vehicletype NOT NULL,
    brand varchar(50),
    model varchar(50),
    year integer,
    color varchar(30),
    max_weight_kg double precision DEFAULT 1000.0,
    max_cylinders_50kg integer DEFAULT 20,
    max_cylinders_20kg integer DEFAULT 50,
    max_cylinders_16kg integer DEFAULT 60,
    max_cylinders_10kg integer DEFAULT 100,
    max_cylinders_4kg integer DEFAULT 200,
    status vehiclestatus DEFAULT 'ACTIVE',
    assigned_driver_id integer REFERENCES users (id),
    is_available boolean DEFAULT true,
    last_maintenance_date timestamp,
    next_maintenance_date timestamp,
    maintenance_notes varchar(500),
    has_gps boolean DEFAULT true,
    gps_device_id varchar(100),
    fuel_type varchar(20),
    fuel_efficiency_km_per_liter double precision,
    insurance_expiry timestamp,
    registration_expiry timestamp,
    created_at timestamp DEFAULT now(),
    updated_at timestamp DEFAULT now()
);

CREATE TABLE drivers (
    id serial PRIMARY KEY,
    user_id integer REFERENCES users (id),
    name varchar NOT NULL,
    phone varchar NOT NULL UNIQUE,
    license_number varchar NOT NULL UNIQUE,
    vehicle_id integer REFERENCES vehicles (id),
    is_active boolean DEFAULT true,
    is_available boolean DEFAULT true,
    total_deliveries integer DEFAULT 0,
    average_rating double precision DEFAULT 0.0,
    created_at timestamp,
    updated_at timestamp
);

CREATE TABLE gas_products (
    id serial PRIMARY KEY,
    delivery_method deliverymethod NOT NULL,
    size_kg integer NOT NULL,
    attribute productattribute NOT NULL,
    sku varchar(50) NOT NULL UNIQUE,
    name_zh varchar(100) NOT NULL,
    name_en varchar(100),
    description varchar(500),
    unit_price double precision NOT NULL,
    deposit_amount double precision DEFAULT 0,
    is_active boolean DEFAULT true,
    is_available boolean DEFAULT true,
    track_inventory boolean DEFAULT true,
    low_stock_threshold integer DEFAULT 10,
    CONSTRAINT uq_product_combination UNIQUE (delivery_method, size_kg, attribute)
);

CREATE TABLE customers (
    id serial PRIMARY KEY,
    customer_code varchar(20) NOT NULL UNIQUE,
    invoice_title varchar(200),
    short_name varchar(100) NOT NULL,
    address varchar(500) NOT NULL,
    cylinders_50kg integer DEFAULT 0,
    cylinders_20kg integer DEFAULT 0,
    cylinders_16kg integer DEFAULT 0,
    cylinders_10kg integer DEFAULT 0,
    area varchar(50),
    customer_type varchar(50),
    is_active boolean DEFAULT true,
    is_subscription boolean DEFAULT false,
    phone varchar(15),
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz
);

CREATE TABLE customer_inventory (
    id serial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (id),
    gas_product_id integer NOT NULL REFERENCES gas_products (id),
    quantity_owned integer DEFAULT 0,
    quantity_rented integer DEFAULT 0,
    quantity_total integer DEFAULT 0,
    flow_meter_count integer DEFAULT 0,
    last_meter_reading double precision DEFAULT 0,
    deposit_paid double precision DEFAULT 0,
    is_active boolean DEFAULT true,
    last_updated timestamptz DEFAULT now(),
    CONSTRAINT uq_customer_product_inventory UNIQUE (customer_id, gas_product_id)
);

CREATE TABLE orders (
    id serial PRIMARY KEY,
    order_number varchar(50) NOT NULL UNIQUE,
    customer_id integer NOT NULL REFERENCES customers (id),
    status orderstatus NOT NULL DEFAULT 'PENDING',
    order_date timestamptz DEFAULT now(),
    scheduled_date timestamptz,
    delivery_time_start varchar(5),
    delivery_time_end varchar(5),
    qty_50kg integer DEFAULT 0,
    qty_20kg integer DEFAULT 0,
    qty_16kg integer DEFAULT 0,
    qty_10kg integer DEFAULT 0,
    qty_4kg integer DEFAULT 0,
    total_amount double precision DEFAULT 0,
    discount_amount double precision DEFAULT 0,
    final_amount double precision DEFAULT 0,
    payment_status paymentstatus DEFAULT 'UNPAID',
    payment_method varchar(50),
    invoice_number varchar(50),
    delivery_address varchar(500),
    delivery_notes varchar(500),
    is_urgent boolean DEFAULT false,
    route_id integer,
    driver_id integer,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz,
    delivered_at timestamptz
);
CREATE INDEX ix_orders_customer ON orders (customer_id);

CREATE TABLE order_items (
    id serial PRIMARY KEY,
    order_id integer NOT NULL REFERENCES orders (id),
    gas_product_id integer NOT NULL REFERENCES gas_products (id),
    quantity integer NOT NULL,
    unit_price double precision NOT NULL,
    subtotal double precision NOT NULL,
    discount_percentage double precision DEFAULT 0,
    discount_amount double precision DEFAULT 0,
    final_amount double precision NOT NULL,
    is_exchange boolean DEFAULT true,
    empty_received integer DEFAULT 0,
    is_flow_delivery boolean DEFAULT false,
    meter_reading_start double precision,
    meter_reading_end double precision,
    actual_quantity double precision,
    notes varchar(500)
);
CREATE INDEX ix_order_items_order ON order_items (order_id);

CREATE TABLE order_templates (
    id serial PRIMARY KEY,
    template_name varchar(100) NOT NULL,
    template_code varchar(50) UNIQUE,
    description text,
    customer_id integer NOT NULL REFERENCES customers (id),
    products json NOT NULL,
    delivery_notes text,
    priority varchar(20) DEFAULT 'normal',
    payment_method varchar(20) DEFAULT 'cash',
    is_recurring boolean DEFAULT false,
    recurrence_pattern varchar(50),
    recurrence_interval integer DEFAULT 1,
    recurrence_days json,
    next_scheduled_date timestamp,
    times_used integer DEFAULT 0,
    last_used_at timestamp,
    is_active boolean DEFAULT true,
    created_at timestamp DEFAULT now(),
    updated_at timestamp DEFAULT now(),
    created_by integer,
    updated_by integer
);

CREATE TABLE invoices (
    id serial PRIMARY KEY,
    invoice_number varchar(20) NOT NULL UNIQUE,
    invoice_track varchar(2) NOT NULL,
    invoice_no varchar(8) NOT NULL,
    random_code varchar(4),
    customer_id integer NOT NULL REFERENCES customers (id),
    order_id integer REFERENCES orders (id),
    invoice_type invoicetype NOT NULL DEFAULT 'B2B',
    invoice_date date NOT NULL,
    period varchar(6) NOT NULL,
    buyer_tax_id varchar(8),
    buyer_name varchar(200),
    buyer_address varchar(500),
    sales_amount double precision NOT NULL DEFAULT 0,
    tax_type varchar(1) DEFAULT '1',
    tax_rate double precision DEFAULT 0.05,
    tax_amount double precision NOT NULL DEFAULT 0,
    total_amount double precision NOT NULL DEFAULT 0,
    status invoicestatus NOT NULL DEFAULT 'DRAFT',
    payment_status invoicepaymentstatus NOT NULL DEFAULT 'PENDING',
    payment_method paymentmethod,
    einvoice_id varchar(50) UNIQUE,
    qr_code_left varchar(200),
    qr_code_right varchar(200),
    bar_code varchar(100),
    submitted_at timestamp,
    submission_response json,
    is_printed boolean DEFAULT false,
    void_reason varchar(200),
    void_date date,
    allowance_number varchar(20),
    due_date date,
    paid_amount double precision DEFAULT 0,
    paid_date date,
    notes varchar(500),
    created_at timestamp DEFAULT now(),
    updated_at timestamp DEFAULT now(),
    created_by integer REFERENCES users (id)
);

CREATE TABLE payments (
    id serial PRIMARY KEY,
    payment_number varchar(50) NOT NULL UNIQUE,
    invoice_id integer NOT NULL REFERENCES invoices (id),
    payment_date date NOT NULL,
    payment_method paymentmethod NOT NULL,
    amount double precision NOT NULL,
    reference_number varchar(100),
    bank_account varchar(50),
    is_verified boolean DEFAULT false,
    verified_by integer REFERENCES users (id),
    verified_at timestamp,
    notes varchar(500),
    created_at timestamp DEFAULT now(),
    created_by integer REFERENCES users (id)
);

-- app/models/delivery_history.py, delivery_history_item.py
CREATE TABLE delivery_history (
    id serial PRIMARY KEY,
    transaction_date date NOT NULL,
    transaction_time varchar(10),
    salesperson varchar(100),
    customer_id integer NOT NULL REFERENCES customers (id),
    customer_code varchar(20),
    qty_50kg integer DEFAULT 0,
    qty_ying20 integer DEFAULT 0,
    qty_ying16 integer DEFAULT 0,
    qty_20kg integer DEFAULT 0,
    qty_16kg integer DEFAULT 0,
    qty_10kg integer DEFAULT 0,
    qty_4kg integer DEFAULT 0,
    qty_haoyun16 integer DEFAULT 0,
    qty_pingantong10 integer DEFAULT 0,
    qty_xingfuwan4 integer DEFAULT 0,
    qty_haoyun20 integer DEFAULT 0,
    flow_50kg double precision DEFAULT 0,
    flow_20kg double precision DEFAULT 0,
    flow_16kg double precision DEFAULT 0,
    flow_haoyun20kg double precision DEFAULT 0,
    flow_haoyun16kg double precision DEFAULT 0,
    total_weight_kg double precision,
    total_cylinders integer,
    import_date timestamptz DEFAULT now(),
    source_file varchar(200),
    source_sheet varchar(100),
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz
);
CREATE INDEX ix_delivery_history_transaction_date ON delivery_history (transaction_date);
CREATE INDEX ix_delivery_history_customer_code ON delivery_history (customer_code);

CREATE TABLE delivery_history_items (
    id serial PRIMARY KEY,
    delivery_history_id integer NOT NULL REFERENCES delivery_history (id),
    gas_product_id integer NOT NULL REFERENCES gas_products (id),
    quantity integer NOT NULL,
    unit_price double precision NOT NULL,
    subtotal double precision NOT NULL,
    is_flow_delivery boolean DEFAULT false,
    flow_quantity double precision,
    legacy_product_code varchar(50)
);

-- app/models/route.py, route_delivery.py (SQLAlchemy stores the enum names)
CREATE TYPE routestatus AS ENUM (
    'DRAFT', 'PLANNED', 'OPTIMIZED', 'ASSIGNED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED', 'PENDING'
);
CREATE TYPE deliverystatus AS ENUM ('PENDING', 'ARRIVED', 'DELIVERED', 'FAILED');

CREATE TABLE routes (
    id serial PRIMARY KEY,
    route_number varchar(100) NOT NULL UNIQUE,
    name varchar(100),
    route_name varchar(100),
    date timestamptz NOT NULL,
    scheduled_date date NOT NULL,
    route_date timestamptz,
    driver_id integer REFERENCES drivers (id),
    vehicle_id integer REFERENCES vehicles (id),
    area varchar(50),
    status routestatus,
    total_stops integer DEFAULT 0,
    completed_stops integer DEFAULT 0,
    total_distance_km double precision DEFAULT 0,
    estimated_duration_minutes integer DEFAULT 0,
    polyline varchar(5000),
    is_optimized boolean DEFAULT false,
    optimization_score double precision,
    optimization_timestamp timestamptz,
    started_at timestamptz,
    completed_at timestamptz,
    actual_duration_minutes integer,
    is_active boolean DEFAULT true,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz
);
CREATE INDEX ix_routes_date ON routes (date);
CREATE INDEX ix_routes_scheduled_date ON routes (scheduled_date);

CREATE TABLE route_deliveries (
    id serial PRIMARY KEY,
    route_id integer NOT NULL REFERENCES routes (id),
    order_id integer NOT NULL REFERENCES orders (id),
    sequence integer NOT NULL,
    status deliverystatus NOT NULL DEFAULT 'PENDING',
    latitude double precision,
    longitude double precision,
    actual_address varchar(500),
    estimated_arrival timestamptz,
    arrived_at timestamptz,
    delivered_at timestamptz,
    recipient_name varchar(100),
    signature_path varchar(500),
    photo_path varchar(500),
    notes text,
    issue_type varchar(50),
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz
);

-- app/models/banking.py (v3 keeps customers' account numbers only in its direct-debit transactions)
CREATE TYPE paymentbatchstatus AS ENUM (
    'DRAFT', 'GENERATED', 'UPLOADED', 'PROCESSING', 'RECONCILED', 'FAILED', 'CANCELLED'
);
CREATE TYPE transactionstatus AS ENUM ('PENDING', 'SUCCESS', 'FAILED', 'REJECTED', 'REFUNDED');

CREATE TABLE payment_batches (
    id serial PRIMARY KEY,
    batch_number varchar(50) NOT NULL UNIQUE,
    bank_code varchar(10) NOT NULL,
    file_name varchar(255) NOT NULL,
    file_content text,
    file_format varchar(20) NOT NULL,
    total_transactions integer DEFAULT 0,
    total_amount numeric(10, 2) DEFAULT 0,
    processing_date timestamp NOT NULL,
    status paymentbatchstatus NOT NULL DEFAULT 'DRAFT',
    generated_at timestamp,
    uploaded_at timestamp,
    reconciled_at timestamp,
    sftp_upload_path varchar(500),
    sftp_download_path varchar(500),
    reconciliation_file_name varchar(255),
    error_message text,
    retry_count integer DEFAULT 0,
    created_by integer REFERENCES users (id),
    created_at timestamp,
    updated_at timestamp
);

CREATE TABLE payment_transactions (
    id serial PRIMARY KEY,
    batch_id integer NOT NULL REFERENCES payment_batches (id),
    transaction_id varchar(50) NOT NULL UNIQUE,
    customer_id integer NOT NULL REFERENCES customers (id),
    invoice_id integer REFERENCES invoices (id),
    account_number varchar(20) NOT NULL,
    account_holder varchar(100) NOT NULL,
    amount numeric(10, 2) NOT NULL,
    status transactionstatus NOT NULL DEFAULT 'PENDING',
    bank_reference varchar(50),
    bank_response_code varchar(10),
    bank_response_message text,
    scheduled_date timestamp NOT NULL,
    processed_date timestamp,
    created_at timestamp,
    updated_at timestamp
);
